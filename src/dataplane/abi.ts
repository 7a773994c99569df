// The dataplane ABI as the host sees it: the same numbers as assembly/abi.ts (a test
// compares the two files). Record layouts are byte offsets; every field is a u32.

// ---- Interface kinds -------------------------------------------------------------------
export const IF_VETH = 1; // one end of a veth pair
export const IF_BRIDGE = 2; // cni0
export const IF_VXLAN = 3; // flannel.1
export const IF_ETH = 4; // a node's NIC on the underlay
export const IF_IPIP = 5; // tunl0: IP-in-IP, no link layer (NOARP)

// Interface record
export const IF_NETNS = 0;
export const IF_KIND = 4;
export const IF_PEER = 8; // veth peer, or NONE
export const IF_MASTER = 12; // bridge this port belongs to, or NONE
export const IF_MAC_HI = 16; // upper 16 bits of the MAC
export const IF_MAC_LO = 20; // lower 32 bits
export const IF_ADDR = 24; // primary IPv4, 0 if none
export const IF_MTU = 28;
export const IF_SEGMENT = 32; // L2 segment (a bridge, the overlay, the underlay)
export const IF_VNI = 36; // VXLAN: VNI
export const IF_PORT = 40; // VXLAN: UDP destination port
export const IF_FLAGS = 44; // IFF_* bits
export const IF_BYTES = 48;

// Interface flags
export const IFF_PROXY_ARP = 1; // proxy_arp=1: answers ARP for addresses its namespace routes out another interface
// Cilium's eBPF programs, by where they are attached (IF_VNI of an IFF_BPF_LXC veth: its endpoint's security identity)
export const IFF_BPF_LXC = 2; // a pod's host-side lxc veth: cil_from_container at tc ingress (its ARP responder answers the pod)
export const IFF_BPF_HOST = 4; // cilium_host: cil_from_host at tc egress
export const IFF_BPF_NETDEV = 8; // the node's NIC: cil_from_netdev at tc ingress
export const IFF_BPF_OVERLAY = 16; // cilium_vxlan, flow-based: the tunnel key of each packet; cil_from_overlay at tc ingress

// ---- Network namespaces -----------------------------------------------------------------
export const NS_KIND = 0; // NS_HOST or NS_POD
export const NS_NODE = 4;
export const NS_FIB = 8; // trie root (set by configure)
export const NS_ROUTES = 12; // address of route records
export const NS_ROUTE_COUNT = 16;
export const NS_PEER_OIF = 20; // a node's device to the shared peer routes (routing.ts), NONE: it holds none
export const NS_PEER_GW = 24; // the gateway of peer routes without their own (Cilium's router), NONE: none
export const NS_BYTES = 28;

// ---- Nodes -------------------------------------------------------------------------------
export const N_HOST = 0; // host namespace
export const N_ETH = 4; // underlay NIC
export const N_VXLAN = 8; // overlay device, or NONE
export const N_BRIDGE = 12; // cni0, or NONE
export const N_CILIUM_HOST = 16; // Cilium's cilium_host, or NONE
export const N_POD_NET = 20; // the node's pod CIDR (Cilium's ipcache routes other nodes' through the tunnel)
export const N_POD_LEN = 24;
export const N_FLAGS = 28; // NFL_* bits: the node's kernel settings that differ from the defaults
export const N_BYTES = 32;
export const NFL_BR_NETFILTER_OFF = 1; // net.bridge.bridge-nf-call-iptables=0: bridged frames skip iptables and conntrack
export const NS_HOST = 0;
export const NS_POD = 1;

// Route record (the first 8 bytes are what fibBuild reads)
export const RT_PREFIX = 0;
export const RT_LEN = 4;
export const RT_OIF = 8; // NONE: a blackhole route (no device)
export const RT_GATEWAY = 12; // 0: directly connected
export const RT_MTU = 16; // the route's MTU metric, 0: the device's
export const RT_BYTES = 20;

// Peer route record (one per node's pod network, shared by every node; see routing.ts)
export const PR_PREFIX = 0;
export const PR_LEN = 4;
export const PR_NODE = 8; // the node whose pod network it is (its own holds no such route)
export const PR_GATEWAY = 12; // NONE: the holder's NS_PEER_GW
export const PR_BYTES = 16;

// ---- Netfilter ---------------------------------------------------------------------------
// Match flags
export const M_SRC = 1;
export const M_SRC_INV = 2;
export const M_DST = 4;
export const M_DST_INV = 8;
export const M_PROTO = 16;
export const M_DPORT = 32;
export const M_MARK = 64;
export const M_MARK_INV = 128;
export const M_STATISTIC = 256;
export const M_RECENT_CHECK = 512;
export const M_RECENT_SET = 1024;
export const M_CTSTATE_NEW = 2048;
export const M_DST_LOCAL = 4096;
export const M_CTSTATE_ESTABLISHED = 8192; // --ctstate RELATED,ESTABLISHED
export const M_CTSTATE_INVALID = 16384;
export const M_DADDR_SET = 32768; // nftables `ip daddr @set` (R_SET)
export const M_VMAP = 65536; // nftables verdict-map lookup (R_MAP): a hit's verdict replaces the target
export const M_IPSET = 131072; // iptables `-m set --match-set` (R_SET, dimensions in R_IPSET)
export const M_NODES = 262144; // the rule exists only on the nodes in set R_NODESET (others skip it, uncounted)
export const M_IIF = 524288; // `-i DEV`: the packet came in on interface R_IIF (IFACE_WORKLOADS: any pod's host-side veth, `cali+`)
export const M_OIF = 1048576; // `-o DEV`: it leaves by interface R_OIF (or IFACE_WORKLOADS)
export const M_MULTIPORT = 2097152; // `-m multiport --dports`: the port lies in one of the R_DPORT ranges held as elements from R_PORTS on
export const M_IPSET2 = 8388608; // a second ipset match (R_SET2, R_IPSET2)
export const M_VERDICT = 4194304; // a NetworkPolicy verdict point (allow mark, policy drop): the walk records it for the trace

// Targets
export const T_NONE = 0; // a rule with no target only counts
export const T_JUMP = 1;
export const T_RETURN = 2;
export const T_ACCEPT = 3;
export const T_DNAT = 4;
export const T_MARK_SET = 5; // --set-xmark value/mask: mark = (mark & ~mask) ^ value
export const T_MARK_XOR = 6;
export const T_MASQUERADE = 7;
export const T_REJECT = 8;
export const T_DROP = 9;
export const T_GOTO = 10; // nftables goto: no return to this chain
export const T_NUMGEN = 11; // nftables numgen random mod ARG2: goto chain ARG1 + n

// Rule record
export const R_FLAGS = 0;
export const R_SRC = 4;
export const R_SRC_MASK = 8;
export const R_DST = 12;
export const R_DST_MASK = 16;
export const R_PROTO = 20;
export const R_DPORT = 24;
export const R_MARK = 28;
export const R_MARK_MASK = 32;
export const R_PROBABILITY = 36; // the kernel's 31-bit threshold
export const R_RECENT = 40; // recent-list id
export const R_SECONDS = 44;
export const R_TARGET = 48;
export const R_ARG1 = 52;
export const R_ARG2 = 56;
export const R_SET = 60; // set id for M_DADDR_SET
export const R_MAP = 64; // map id for M_VMAP; MAP_NO_ADDR set when the key has no address
export const R_IPSET = 68; // IPSET_* : which packet fields M_IPSET looks up
export const R_NODESET = 72; // set id for M_NODES (its elements' addresses are node indexes)
export const R_IIF = 76; // interface id for M_IIF
export const R_OIF = 80;
export const R_PORTS = 84; // M_MULTIPORT: first element (SE_ADDR low port, SE_PORTS high port) of R_DPORT ranges
export const R_SET2 = 88; // a second `-m set --match-set` (M_IPSET2): Felix puts a peer set and a named-port set in one rule
export const R_IPSET2 = 92;
export const R_BYTES = 96;
export const IFACE_IN_SET = 0x80000000; // R_IIF/R_OIF: any interface of set (value & ~IFACE_IN_SET), its elements' SE_ADDR the ids (`-i cali8+`)
export const IFACE_WORKLOADS = 0xfffffffe; // R_IIF/R_OIF: any workload veth on the host (`cali+`)
export const MAP_NO_ADDR = 0x80000000;
export const MAP_BY_NODE = 0x40000000; // R_MAP: the map is keyed by the node the walk runs on (Calico's per-node dispatch)
// `--match-set NAME dims`: the key the packet gives (ipset types hash:ip, bitmap:port, hash:ip,port, hash:ip,port,ip)
export const IPSET_DST = 1; // dst: the destination address
export const IPSET_DST_PORT = 2; // dst on a bitmap:port: the destination port
export const IPSET_DST_DST = 3; // dst,dst: address . protocol:port
export const IPSET_DST_DST_SRC = 4; // dst,dst,src: address . protocol:port . the source as the second address
export const IPSET_SRC = 5; // src: the source address (hash:net, Calico's selector sets)

// nftables set/map element record (descriptor words 14-15 point at them)
export const SE_SET = 0;
export const SE_ADDR = 4; // 0 when the key has no address
export const SE_PORTS = 8; // proto << 16 | port; 0 when the key has none
export const SE_VERDICT = 12; // T_GOTO, T_DROP, T_ACCEPT for maps; T_NONE for sets
export const SE_CHAIN = 16; // maps: the goto verdict's chain; hash:ip,port,ip sets: the second address
export const SE_BYTES = 20;

// ---- IPVS (kube-proxy's IPVS mode; descriptor words 16-19 point at these tables) -------------
// Virtual server record
export const VS_ADDR = 0;
export const VS_PORTS = 4; // proto << 16 | port
export const VS_SCHED = 8; // SCHED_*
export const VS_FLAGS = 12; // IP_VS_SVC_F_* (1 persistent, 0x10 mh hashes the source port too)
export const VS_TIMEOUT = 16; // persistence timeout, seconds
export const VS_FIRST = 20; // its first real server (global index)
export const VS_COUNT = 24; // real servers, in the kernel's list order
export const VS_WRR_MW = 28; // wrr: max weight - (gcd - 1)
export const VS_WRR_DI = 32; // wrr: the weights' gcd
export const VS_WRR_CW = 36; // wrr: the current weight it starts from
export const VS_MH = 40; // mh: its lookup table, built on first use (0 until then)
export const VS_BYTES = 44;
// Real server record
export const RS_ADDR = 0;
export const RS_PORT = 4;
export const RS_WEIGHT = 8;
export const RS_BYTES = 12;

// ---- Cilium's load balancer (descriptor words 20-24; src/compile/cilium.ts) ---------------------
// Frontend record (cilium_lb4_services_v2: a ClusterIP:port/proto and its backend slots)
export const FE_ADDR = 0;
export const FE_PORTS = 4; // proto << 16 | port
export const FE_FIRST = 8; // its first backend (global index): slot 1
export const FE_COUNT = 12; // backends (slots)
export const FE_AFFINITY = 16; // ClientIP affinity timeout in seconds, 0: none
export const FE_BYTES = 20;
// Backend record (cilium_lb4_backends_v3)
export const BE_ADDR = 0;
export const BE_PORT = 4;
export const BE_BYTES = 8;
// Where ClusterIPs are translated (descriptor word 24)
// ---- Cilium's policy map (per endpoint and direction; see assembly/policy.ts) -----------------
// Endpoint record: which lxc, which direction, whether enforced, its entries
export const PEP_LXC = 0;
export const PEP_DIR = 4; // POL_INGRESS or POL_EGRESS
export const PEP_ENFORCED = 8; // 1: some policy selects the endpoint for this direction (else: allow all)
export const PEP_FIRST = 12;
export const PEP_COUNT = 16;
export const PEP_BYTES = 20;
export const POL_INGRESS = 0;
export const POL_EGRESS = 1;
// Entry record: the remote identity (0: any), protocol (0: any), a port range, and for CIDR rules the remote address's prefix
export const PE_IDENTITY = 0;
export const PE_PROTO = 4;
export const PE_LO = 8;
export const PE_HI = 12;
export const PE_NET = 16; // with PE_MASK ≠ 0: the remote address must lie in this prefix (ipBlock; world identity only)
export const PE_MASK = 20;
export const PE_BYTES = 24;
// Reserved security identities (pkg/identity/numericidentity.go)
export const IDENTITY_HOST = 1;
export const IDENTITY_WORLD = 2;
export const IDENTITY_REMOTE_NODE = 6;

export const LB_NONE = 0; // not by Cilium (flannel, Calico: kube-proxy's rules)
export const LB_SOCKET = 1; // kube-proxy replacement: cil_sock4_connect / cil_sock4_sendmsg, before any packet exists
export const LB_PER_PACKET = 2; // kube-proxy runs; bpf_lxc translates pod traffic per packet (ENABLE_PER_PACKET_LB)
// Schedulers (--ipvs-scheduler), in the order of src/model/types.ts IPVS_SCHEDULERS
export const SCHED_RR = 0;
export const SCHED_WRR = 1;
export const SCHED_LC = 2;
export const SCHED_WLC = 3;
export const SCHED_LBLC = 4;
export const SCHED_LBLCR = 5;
export const SCHED_SH = 6;
export const SCHED_DH = 7;
export const SCHED_SED = 8;
export const SCHED_NQ = 9;
export const SCHED_MH = 10;

// Chain record
export const C_FIRST = 0;
export const C_COUNT = 4;
export const C_BYTES = 8;

// Hooks: index into the hook table (chain ids of the built-in chains)
export const H_NAT_PREROUTING = 0;
export const H_NAT_OUTPUT = 1;
export const H_NAT_POSTROUTING = 2;
export const H_FILTER_INPUT = 3;
export const H_FILTER_FORWARD = 4;
export const H_FILTER_OUTPUT = 5;
export const H_FILTER_PREROUTING_PRE = 6; // nftables filter at priority -110 (before DNAT)
export const H_FILTER_OUTPUT_PRE = 7;
export const H_COUNT = 8;

// ---- Packets -----------------------------------------------------------------------------
export const P_SRC = 0;
export const P_DST = 4;
export const P_SPORT = 8;
export const P_DPORT = 12;
export const P_PROTO = 16;
export const P_TTL = 20;
export const P_LEN = 24; // IPv4 total length
export const P_FLAGS = 28; // PF_* bits
export const P_MARK = 32;
export const P_SMAC_HI = 36;
export const P_SMAC_LO = 40;
export const P_DMAC_HI = 44;
export const P_DMAC_LO = 48;
export const P_OUTER_SRC = 52; // outer IPv4 when PF_ENCAP
export const P_OUTER_DST = 56;
export const P_OUTER_SPORT = 60;
export const P_OUTER_DPORT = 64; // VXLAN's UDP port; 0 for IP-in-IP (outer protocol 4, no UDP header)
export const P_VNI = 68;
export const P_OUTER_TTL = 72;
export const P_ICMP = 76; // ICMP type << 8 | code, for ICMP packets; next-hop MTU << 16 for "fragmentation needed"
export const P_BYTES = 80;

export const PF_DF = 1; // Don't Fragment
export const PF_ENCAP = 2; // inside an outer packet (VXLAN, or IP-in-IP when P_OUTER_DPORT is 0)
export const PF_SYN = 4;
export const PF_ACK = 8;
export const PF_RST = 16;
export const PF_POLICY_SKIP = 128; // Cilium: the sender's egress found a reply (policy_mark_skip): the local ingress check is skipped
export const PF_FIN = 64; // FIN: closes its direction of a TCP connection
export const PF_CONNECTED = 32; // the application connect()ed its UDP socket (glibc's resolver does): socket LB at connect(), not sendmsg()

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_SCTP = 132;

// ---- Trace --------------------------------------------------------------------------------
// Components
export const K_POD = 1;
export const K_VETH = 2;
export const K_BRIDGE = 3;
export const K_NETFILTER = 4;
export const K_CONNTRACK = 5;
export const K_ROUTING = 6;
export const K_VXLAN = 7;
export const K_UNDERLAY = 8;
export const K_SOCKET = 9;
export const K_IPIP = 10; // tunl0's IP-in-IP encapsulation
export const K_BPF = 11; // a Cilium tc eBPF program (cil_from_container, cil_from_overlay, cil_from_netdev, cil_from_host)
export const K_SOCK_LB = 12; // Cilium's socket LB: cgroup eBPF at connect(), sendmsg(), recvmsg()
export const K_POLICY = 13; // a NetworkPolicy verdict where the CNI enforces it (Calico's filter chains, Cilium's policy map)

// Actions
export const A_SEND = 1;
export const A_ROUTE = 2;
export const A_XMIT = 3; // through a veth pair
export const A_BRIDGE = 4;
export const A_DNAT = 5;
export const A_SNAT = 6;
export const A_UNNAT = 7;
export const A_ENCAP = 8;
export const A_WIRE = 9;
export const A_DECAP = 10;
export const A_DELIVER = 11;
export const A_DROP = 12;
export const A_REJECT = 13;
export const A_CT_HIT = 14; // an established flow: NAT from conntrack, no rules walked
export const A_MARK = 15;
export const A_REDIRECT = 16; // an eBPF program sends the packet on to another device itself (bpf_redirect)
export const A_TO_STACK = 17; // an eBPF program hands the packet to the kernel's stack (TC_ACT_OK)
export const A_SOCK_LB = 18; // socket LB translates the address a socket call names
export const A_ALLOW = 19; // a NetworkPolicy verdict lets the packet through (K_POLICY)

// What decided a hop
export const D_NONE = 0;
export const D_ROUTE = 1; // arg: route index in the namespace
export const D_RULE = 2; // arg: rule index
export const D_FDB = 3; // arg: interface the MAC belongs to
export const D_NEIGH = 4; // arg: interface holding the next hop's address
export const D_CONNTRACK = 5; // arg: connection index
export const D_IPVS = 6; // arg: the real server (global index); the hop's reason word holds its ActiveConn << 16 | InActConn
export const D_IPVS_VS = 7; // arg: a virtual server (index) that has no real server
export const D_LB = 8; // arg: a Cilium backend (global index)
export const D_LB_FE = 9; // arg: a Cilium frontend (index) without backends
export const D_EP = 10; // arg: the lxc veth of the local endpoint the packet is for
export const D_TUNNEL = 11; // arg: the node (index) at the tunnel's far end
export const D_POLICY = 12; // arg: the Cilium policy-map entry that allowed (NONE: none; extra: the remote identity)
// The eBPF program of a K_BPF / K_SOCK_LB hop, in the low byte of its extra word
export const PROG_FROM_CONTAINER = 1;
export const PROG_FROM_OVERLAY = 2;
export const PROG_FROM_NETDEV = 3;
export const PROG_FROM_HOST = 4;
export const PROG_SOCK_CONNECT = 5;
export const PROG_SOCK_SENDMSG = 6;
export const PROG_SOCK_RECVMSG = 7;
export const PROG_AFFINITY = 256; // the backend came from the ClientIP affinity map
export const PROG_LOOPBACK = 512; // the backend is the client itself: source set to the service loopback address

// Drop reasons
export const X_NONE = 0;
export const X_NO_ROUTE = 1;
export const X_NO_NEIGHBOUR = 2;
export const X_TTL = 3;
export const X_FRAG_NEEDED = 4;
export const X_REJECTED = 5;
export const X_RULE_DROP = 6;
export const X_CT_FULL = 7;
export const X_NO_SOCKET = 8; // nothing listens (no container port)
export const X_LOOP = 9;
export const X_LEAVES_CLUSTER = 10;
export const X_NO_FDB = 11;
export const X_BLACKHOLE = 12; // a blackhole route discards it
export const X_NO_BACKEND = 13; // socket LB: the Service has no backend, the socket call fails (EHOSTUNREACH)
export const X_NO_ENDPOINT = 14; // Cilium: no endpoint holds this address of the node's pod CIDR
export const X_NODE_DOWN = 15; // the next hop's node is down: nothing receives the frame
export const X_POLICY_DENIED = 16; // NetworkPolicy: the enforcing CNI drops it (no rule of the policies isolating the pod allows it)
export const X_NO_CONNECTION = 17; // no socket for this reply: its source is not the address the client connected to (TCP answers RST, UDP ICMP port unreachable)
export const X_REASONS = 32; // drop-reason slots the counters keep

// Hop record
export const T_SEQ = 0;
export const T_NODE = 4;
export const T_NETNS = 8;
export const T_COMPONENT = 12;
export const T_ACTION = 16;
export const T_REASON = 20;
export const T_IN = 24; // interface id + 1, 0 for none
export const T_OUT = 28;
export const T_DECIDER = 32;
export const T_ARG = 36;
export const T_PHASE = 40; // PH_*
export const T_EXTRA = 44; // action-specific: rules walked for NAT hops
export const T_PACKET = 48; // a copy of the packet record
export const T_BYTES = 48 + 80;

// Phases of a traced exchange
export const PH_REQUEST = 0;
export const PH_REPLY = 1;
export const PH_ERROR = 2; // an ICMP error travelling back

// Verdicts of forward()
export const V_DELIVERED = 1;
export const V_DROPPED = 2;
export const V_REJECTED = 3;

export const NONE = 0xffffffff;

// Batch flow record (runFlows): one connection, or one DNS query, of a simulation plan
export const FL_FROM = 0; // client namespace
export const FL_SRC = 4;
export const FL_DST = 8;
export const FL_SPORT = 12;
export const FL_DPORT = 16;
export const FL_PROTO = 20;
export const FL_LEN = 24;
export const FL_SEED = 28; // the flow's own PRNG seed
export const FL_PACKETS = 32; // packets the client sends (the first opens the connection)
export const FL_TIME = 36; // simulated second it starts
export const FL_FLAGS = 40; // RF_*
export const FL_BYTES = 44;
export const RF_ESTABLISHED = 1; // established traffic of a connection opened before: no SYN, no answers
export const RF_CLOSE = 2; // TCP: closed after its packets (FIN, FIN-ACK, ACK), leaving TIME_WAIT
export const RF_CONNECTED = 4; // UDP from a connect()ed socket (glibc's resolver): PF_CONNECTED on its packets
export const RF_QUERY = 8; // a DNS query of the lookup before the next connection record
export const RF_LOOKUP_START = 16; // its lookup's first query
export const RF_AFTER_LOOKUP = 32; // a connection to the address a lookup just gave: made only if that lookup got its answers
