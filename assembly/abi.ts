// Numbers shared with the host (src/dataplane/abi.ts holds the same values; a test compares
// the two files). Record layouts are byte offsets; every field is a u32 unless noted.

// ---- Interface kinds -------------------------------------------------------------------
export const IF_VETH: u32 = 1; // one end of a veth pair
export const IF_BRIDGE: u32 = 2; // cni0
export const IF_VXLAN: u32 = 3; // flannel.1
export const IF_ETH: u32 = 4; // a node's NIC on the underlay
export const IF_IPIP: u32 = 5; // tunl0: IP-in-IP, no link layer (NOARP)

// Interface record
export const IF_NETNS: u32 = 0;
export const IF_KIND: u32 = 4;
export const IF_PEER: u32 = 8; // veth peer, or NONE
export const IF_MASTER: u32 = 12; // bridge this port belongs to, or NONE
export const IF_MAC_HI: u32 = 16; // upper 16 bits of the MAC
export const IF_MAC_LO: u32 = 20; // lower 32 bits
export const IF_ADDR: u32 = 24; // primary IPv4, 0 if none
export const IF_MTU: u32 = 28;
export const IF_SEGMENT: u32 = 32; // L2 segment (a bridge, the overlay, the underlay)
export const IF_VNI: u32 = 36; // VXLAN: VNI
export const IF_PORT: u32 = 40; // VXLAN: UDP destination port
export const IF_FLAGS: u32 = 44; // IFF_* bits
export const IF_BYTES: u32 = 48;

// Interface flags
export const IFF_PROXY_ARP: u32 = 1; // proxy_arp=1: answers ARP for addresses its namespace routes out another interface
// Cilium's eBPF programs, by where they are attached (IF_VNI of an IFF_BPF_LXC veth: its endpoint's security identity)
export const IFF_BPF_LXC: u32 = 2; // a pod's host-side lxc veth: cil_from_container at tc ingress (its ARP responder answers the pod)
export const IFF_BPF_HOST: u32 = 4; // cilium_host: cil_from_host at tc egress
export const IFF_BPF_NETDEV: u32 = 8; // the node's NIC: cil_from_netdev at tc ingress
export const IFF_BPF_OVERLAY: u32 = 16; // cilium_vxlan, flow-based: the tunnel key of each packet; cil_from_overlay at tc ingress

// ---- Network namespaces -----------------------------------------------------------------
export const NS_KIND: u32 = 0; // NS_HOST or NS_POD
export const NS_NODE: u32 = 4;
export const NS_FIB: u32 = 8; // trie root (set by configure)
export const NS_ROUTES: u32 = 12; // address of route records
export const NS_ROUTE_COUNT: u32 = 16;
export const NS_PEER_OIF: u32 = 20; // a node's device to the shared peer routes (routing.ts), NONE: it holds none
export const NS_PEER_GW: u32 = 24; // the gateway of peer routes without their own (Cilium's router), NONE: none
export const NS_BYTES: u32 = 28;

// ---- Nodes -------------------------------------------------------------------------------
export const N_HOST: u32 = 0; // host namespace
export const N_ETH: u32 = 4; // underlay NIC
export const N_VXLAN: u32 = 8; // overlay device, or NONE
export const N_BRIDGE: u32 = 12; // cni0, or NONE
export const N_CILIUM_HOST: u32 = 16; // Cilium's cilium_host, or NONE
export const N_POD_NET: u32 = 20; // the node's pod CIDR (Cilium's ipcache routes other nodes' through the tunnel)
export const N_POD_LEN: u32 = 24;
export const N_FLAGS: u32 = 28; // NFL_* bits: the node's kernel settings that differ from the defaults
export const N_BYTES: u32 = 32;
export const NFL_BR_NETFILTER_OFF: u32 = 1; // net.bridge.bridge-nf-call-iptables=0: bridged frames skip iptables and conntrack
export const NS_HOST: u32 = 0;
export const NS_POD: u32 = 1;

// Route record (the first 8 bytes are what fibBuild reads)
export const RT_PREFIX: u32 = 0;
export const RT_LEN: u32 = 4;
export const RT_OIF: u32 = 8; // NONE: a blackhole route (no device)
export const RT_GATEWAY: u32 = 12; // 0: directly connected
export const RT_MTU: u32 = 16; // the route's MTU metric, 0: the device's
export const RT_BYTES: u32 = 20;

// Peer route record (one per node's pod network, shared by every node; see routing.ts)
export const PR_PREFIX: u32 = 0;
export const PR_LEN: u32 = 4;
export const PR_NODE: u32 = 8; // the node whose pod network it is (its own holds no such route)
export const PR_GATEWAY: u32 = 12; // NONE: the holder's NS_PEER_GW
export const PR_BYTES: u32 = 16;

// ---- Netfilter ---------------------------------------------------------------------------
// Match flags
export const M_SRC: u32 = 1;
export const M_SRC_INV: u32 = 2;
export const M_DST: u32 = 4;
export const M_DST_INV: u32 = 8;
export const M_PROTO: u32 = 16;
export const M_DPORT: u32 = 32;
export const M_MARK: u32 = 64;
export const M_MARK_INV: u32 = 128;
export const M_STATISTIC: u32 = 256;
export const M_RECENT_CHECK: u32 = 512;
export const M_RECENT_SET: u32 = 1024;
export const M_CTSTATE_NEW: u32 = 2048;
export const M_DST_LOCAL: u32 = 4096;
export const M_CTSTATE_ESTABLISHED: u32 = 8192; // --ctstate RELATED,ESTABLISHED
export const M_CTSTATE_INVALID: u32 = 16384;
export const M_DADDR_SET: u32 = 32768; // nftables `ip daddr @set` (R_SET)
export const M_VMAP: u32 = 65536; // nftables verdict-map lookup (R_MAP): a hit's verdict replaces the target
export const M_IPSET: u32 = 131072; // iptables `-m set --match-set` (R_SET, dimensions in R_IPSET)
export const M_NODES: u32 = 262144; // the rule exists only on the nodes in set R_NODESET (others skip it, uncounted)
export const M_IIF: u32 = 524288; // `-i DEV`: the packet came in on interface R_IIF (IFACE_WORKLOADS: any pod's host-side veth, `cali+`)
export const M_OIF: u32 = 1048576; // `-o DEV`: it leaves by interface R_OIF (or IFACE_WORKLOADS)
export const M_MULTIPORT: u32 = 2097152; // `-m multiport --dports`: the port lies in one of the R_DPORT ranges held as elements from R_PORTS on
export const M_IPSET2: u32 = 8388608; // a second ipset match (R_SET2, R_IPSET2)
export const M_VERDICT: u32 = 4194304; // a NetworkPolicy verdict point (allow mark, policy drop): the walk records it for the trace

// Targets
export const T_NONE: u32 = 0; // a rule with no target only counts
export const T_JUMP: u32 = 1;
export const T_RETURN: u32 = 2;
export const T_ACCEPT: u32 = 3;
export const T_DNAT: u32 = 4;
export const T_MARK_SET: u32 = 5; // --set-xmark value/mask: mark = (mark & ~mask) ^ value
export const T_MARK_XOR: u32 = 6;
export const T_MASQUERADE: u32 = 7;
export const T_REJECT: u32 = 8;
export const T_DROP: u32 = 9;
export const T_GOTO: u32 = 10; // nftables goto: no return to this chain
export const T_NUMGEN: u32 = 11; // nftables numgen random mod ARG2: goto chain ARG1 + n

// Rule record
export const R_FLAGS: u32 = 0;
export const R_SRC: u32 = 4;
export const R_SRC_MASK: u32 = 8;
export const R_DST: u32 = 12;
export const R_DST_MASK: u32 = 16;
export const R_PROTO: u32 = 20;
export const R_DPORT: u32 = 24;
export const R_MARK: u32 = 28;
export const R_MARK_MASK: u32 = 32;
export const R_PROBABILITY: u32 = 36; // the kernel's 31-bit threshold
export const R_RECENT: u32 = 40; // recent-list id
export const R_SECONDS: u32 = 44;
export const R_TARGET: u32 = 48;
export const R_ARG1: u32 = 52;
export const R_ARG2: u32 = 56;
export const R_SET: u32 = 60; // set id for M_DADDR_SET
export const R_MAP: u32 = 64; // map id for M_VMAP; MAP_NO_ADDR set when the key has no address
export const R_IPSET: u32 = 68; // IPSET_* : which packet fields M_IPSET looks up
export const R_NODESET: u32 = 72; // set id for M_NODES (its elements' addresses are node indexes)
export const R_IIF: u32 = 76; // interface id for M_IIF
export const R_OIF: u32 = 80;
export const R_PORTS: u32 = 84; // M_MULTIPORT: first element (SE_ADDR low port, SE_PORTS high port) of R_DPORT ranges
export const R_SET2: u32 = 88; // a second `-m set --match-set` (M_IPSET2): Felix puts a peer set and a named-port set in one rule
export const R_IPSET2: u32 = 92;
export const R_BYTES: u32 = 96;
export const IFACE_IN_SET: u32 = 0x80000000; // R_IIF/R_OIF: any interface of set (value & ~IFACE_IN_SET), its elements' SE_ADDR the ids (`-i cali8+`)
export const IFACE_WORKLOADS: u32 = 0xfffffffe; // R_IIF/R_OIF: any workload veth on the host (`cali+`)
export const MAP_NO_ADDR: u32 = 0x80000000;
export const MAP_BY_NODE: u32 = 0x40000000; // R_MAP: the map is keyed by the node the walk runs on (Calico's per-node dispatch)
// `--match-set NAME dims`: the key the packet gives (ipset types hash:ip, bitmap:port, hash:ip,port, hash:ip,port,ip)
export const IPSET_DST: u32 = 1; // dst: the destination address
export const IPSET_DST_PORT: u32 = 2; // dst on a bitmap:port: the destination port
export const IPSET_DST_DST: u32 = 3; // dst,dst: address . protocol:port
export const IPSET_DST_DST_SRC: u32 = 4; // dst,dst,src: address . protocol:port . the source as the second address
export const IPSET_SRC: u32 = 5; // src: the source address (hash:net, Calico's selector sets)

// nftables set/map element record (descriptor words 14-15 point at them)
export const SE_SET: u32 = 0;
export const SE_ADDR: u32 = 4; // 0 when the key has no address
export const SE_PORTS: u32 = 8; // proto << 16 | port; 0 when the key has none
export const SE_VERDICT: u32 = 12; // T_GOTO, T_DROP, T_ACCEPT for maps; T_NONE for sets
export const SE_CHAIN: u32 = 16; // maps: the goto verdict's chain; hash:ip,port,ip sets: the second address
export const SE_BYTES: u32 = 20;

// ---- IPVS (kube-proxy's IPVS mode; descriptor words 16-19 point at these tables) -------------
// Virtual server record
export const VS_ADDR: u32 = 0;
export const VS_PORTS: u32 = 4; // proto << 16 | port
export const VS_SCHED: u32 = 8; // SCHED_*
export const VS_FLAGS: u32 = 12; // IP_VS_SVC_F_* (1 persistent, 0x10 mh hashes the source port too)
export const VS_TIMEOUT: u32 = 16; // persistence timeout, seconds
export const VS_FIRST: u32 = 20; // its first real server (global index)
export const VS_COUNT: u32 = 24; // real servers, in the kernel's list order
export const VS_WRR_MW: u32 = 28; // wrr: max weight - (gcd - 1)
export const VS_WRR_DI: u32 = 32; // wrr: the weights' gcd
export const VS_WRR_CW: u32 = 36; // wrr: the current weight it starts from
export const VS_MH: u32 = 40; // mh: its lookup table, built on first use (0 until then)
export const VS_BYTES: u32 = 44;
// Real server record
export const RS_ADDR: u32 = 0;
export const RS_PORT: u32 = 4;
export const RS_WEIGHT: u32 = 8;
export const RS_BYTES: u32 = 12;

// ---- Cilium's load balancer (descriptor words 20-24; src/compile/cilium.ts) ---------------------
// Frontend record (cilium_lb4_services_v2: a ClusterIP:port/proto and its backend slots)
export const FE_ADDR: u32 = 0;
export const FE_PORTS: u32 = 4; // proto << 16 | port
export const FE_FIRST: u32 = 8; // its first backend (global index): slot 1
export const FE_COUNT: u32 = 12; // backends (slots)
export const FE_AFFINITY: u32 = 16; // ClientIP affinity timeout in seconds, 0: none
export const FE_BYTES: u32 = 20;
// Backend record (cilium_lb4_backends_v3)
export const BE_ADDR: u32 = 0;
export const BE_PORT: u32 = 4;
export const BE_BYTES: u32 = 8;
// Where ClusterIPs are translated (descriptor word 24)
// ---- Cilium's policy map (per endpoint and direction; see assembly/policy.ts) -----------------
// Endpoint record: which lxc, which direction, whether enforced, its entries
export const PEP_LXC: u32 = 0;
export const PEP_DIR: u32 = 4; // POL_INGRESS or POL_EGRESS
export const PEP_ENFORCED: u32 = 8; // 1: some policy selects the endpoint for this direction (else: allow all)
export const PEP_FIRST: u32 = 12;
export const PEP_COUNT: u32 = 16;
export const PEP_BYTES: u32 = 20;
export const POL_INGRESS: u32 = 0;
export const POL_EGRESS: u32 = 1;
// Entry record: the remote identity (0: any), protocol (0: any), a port range, and for CIDR rules the remote address's prefix
export const PE_IDENTITY: u32 = 0;
export const PE_PROTO: u32 = 4;
export const PE_LO: u32 = 8;
export const PE_HI: u32 = 12;
export const PE_NET: u32 = 16; // with PE_MASK ≠ 0: the remote address must lie in this prefix (ipBlock; world identity only)
export const PE_MASK: u32 = 20;
export const PE_BYTES: u32 = 24;
// Reserved security identities (pkg/identity/numericidentity.go)
export const IDENTITY_HOST: u32 = 1;
export const IDENTITY_WORLD: u32 = 2;
export const IDENTITY_REMOTE_NODE: u32 = 6;

export const LB_NONE: u32 = 0; // not by Cilium (flannel, Calico: kube-proxy's rules)
export const LB_SOCKET: u32 = 1; // kube-proxy replacement: cil_sock4_connect / cil_sock4_sendmsg, before any packet exists
export const LB_PER_PACKET: u32 = 2; // kube-proxy runs; bpf_lxc translates pod traffic per packet (ENABLE_PER_PACKET_LB)
// Schedulers (--ipvs-scheduler), in the order of src/model/types.ts IPVS_SCHEDULERS
export const SCHED_RR: u32 = 0;
export const SCHED_WRR: u32 = 1;
export const SCHED_LC: u32 = 2;
export const SCHED_WLC: u32 = 3;
export const SCHED_LBLC: u32 = 4;
export const SCHED_LBLCR: u32 = 5;
export const SCHED_SH: u32 = 6;
export const SCHED_DH: u32 = 7;
export const SCHED_SED: u32 = 8;
export const SCHED_NQ: u32 = 9;
export const SCHED_MH: u32 = 10;

// Chain record
export const C_FIRST: u32 = 0;
export const C_COUNT: u32 = 4;
export const C_BYTES: u32 = 8;

// Hooks: index into the hook table (chain ids of the built-in chains)
export const H_NAT_PREROUTING: u32 = 0;
export const H_NAT_OUTPUT: u32 = 1;
export const H_NAT_POSTROUTING: u32 = 2;
export const H_FILTER_INPUT: u32 = 3;
export const H_FILTER_FORWARD: u32 = 4;
export const H_FILTER_OUTPUT: u32 = 5;
export const H_FILTER_PREROUTING_PRE: u32 = 6; // nftables filter at priority -110 (before DNAT)
export const H_FILTER_OUTPUT_PRE: u32 = 7;
export const H_COUNT: u32 = 8;

// ---- Packets -----------------------------------------------------------------------------
export const P_SRC: u32 = 0;
export const P_DST: u32 = 4;
export const P_SPORT: u32 = 8;
export const P_DPORT: u32 = 12;
export const P_PROTO: u32 = 16;
export const P_TTL: u32 = 20;
export const P_LEN: u32 = 24; // IPv4 total length
export const P_FLAGS: u32 = 28; // PF_* bits
export const P_MARK: u32 = 32;
export const P_SMAC_HI: u32 = 36;
export const P_SMAC_LO: u32 = 40;
export const P_DMAC_HI: u32 = 44;
export const P_DMAC_LO: u32 = 48;
export const P_OUTER_SRC: u32 = 52; // outer IPv4 when PF_ENCAP
export const P_OUTER_DST: u32 = 56;
export const P_OUTER_SPORT: u32 = 60;
export const P_OUTER_DPORT: u32 = 64; // VXLAN's UDP port; 0 for IP-in-IP (outer protocol 4, no UDP header)
export const P_VNI: u32 = 68;
export const P_OUTER_TTL: u32 = 72;
export const P_ICMP: u32 = 76; // ICMP type << 8 | code, for ICMP packets; next-hop MTU << 16 for "fragmentation needed"
export const P_BYTES: u32 = 80;

export const PF_DF: u32 = 1; // Don't Fragment
export const PF_ENCAP: u32 = 2; // inside an outer packet (VXLAN, or IP-in-IP when P_OUTER_DPORT is 0)
export const PF_SYN: u32 = 4;
export const PF_ACK: u32 = 8;
export const PF_RST: u32 = 16;
export const PF_POLICY_SKIP: u32 = 128; // Cilium: the sender's egress found a reply (policy_mark_skip): the local ingress check is skipped
export const PF_FIN: u32 = 64; // FIN: closes its direction of a TCP connection
export const PF_CONNECTED: u32 = 32; // the application connect()ed its UDP socket (glibc's resolver does): socket LB at connect(), not sendmsg()

export const PROTO_ICMP: u32 = 1;
export const PROTO_TCP: u32 = 6;
export const PROTO_UDP: u32 = 17;
export const PROTO_SCTP: u32 = 132;

// ---- Trace --------------------------------------------------------------------------------
// Components
export const K_POD: u32 = 1;
export const K_VETH: u32 = 2;
export const K_BRIDGE: u32 = 3;
export const K_NETFILTER: u32 = 4;
export const K_CONNTRACK: u32 = 5;
export const K_ROUTING: u32 = 6;
export const K_VXLAN: u32 = 7;
export const K_UNDERLAY: u32 = 8;
export const K_SOCKET: u32 = 9;
export const K_IPIP: u32 = 10; // tunl0's IP-in-IP encapsulation
export const K_BPF: u32 = 11; // a Cilium tc eBPF program (cil_from_container, cil_from_overlay, cil_from_netdev, cil_from_host)
export const K_SOCK_LB: u32 = 12; // Cilium's socket LB: cgroup eBPF at connect(), sendmsg(), recvmsg()
export const K_POLICY: u32 = 13; // a NetworkPolicy verdict where the CNI enforces it (Calico's filter chains, Cilium's policy map)

// Actions
export const A_SEND: u32 = 1;
export const A_ROUTE: u32 = 2;
export const A_XMIT: u32 = 3; // through a veth pair
export const A_BRIDGE: u32 = 4;
export const A_DNAT: u32 = 5;
export const A_SNAT: u32 = 6;
export const A_UNNAT: u32 = 7;
export const A_ENCAP: u32 = 8;
export const A_WIRE: u32 = 9;
export const A_DECAP: u32 = 10;
export const A_DELIVER: u32 = 11;
export const A_DROP: u32 = 12;
export const A_REJECT: u32 = 13;
export const A_CT_HIT: u32 = 14; // an established flow: NAT from conntrack, no rules walked
export const A_MARK: u32 = 15;
export const A_REDIRECT: u32 = 16; // an eBPF program sends the packet on to another device itself (bpf_redirect)
export const A_TO_STACK: u32 = 17; // an eBPF program hands the packet to the kernel's stack (TC_ACT_OK)
export const A_SOCK_LB: u32 = 18; // socket LB translates the address a socket call names
export const A_ALLOW: u32 = 19; // a NetworkPolicy verdict lets the packet through (K_POLICY)

// What decided a hop
export const D_NONE: u32 = 0;
export const D_ROUTE: u32 = 1; // arg: route index in the namespace
export const D_RULE: u32 = 2; // arg: rule index
export const D_FDB: u32 = 3; // arg: interface the MAC belongs to
export const D_NEIGH: u32 = 4; // arg: interface holding the next hop's address
export const D_CONNTRACK: u32 = 5; // arg: connection index
export const D_IPVS: u32 = 6; // arg: the real server (global index); the hop's reason word holds its ActiveConn << 16 | InActConn
export const D_IPVS_VS: u32 = 7; // arg: a virtual server (index) that has no real server
export const D_LB: u32 = 8; // arg: a Cilium backend (global index)
export const D_LB_FE: u32 = 9; // arg: a Cilium frontend (index) without backends
export const D_EP: u32 = 10; // arg: the lxc veth of the local endpoint the packet is for
export const D_TUNNEL: u32 = 11; // arg: the node (index) at the tunnel's far end
export const D_POLICY: u32 = 12; // arg: the Cilium policy-map entry that allowed (NONE: none; extra: the remote identity)
// The eBPF program of a K_BPF / K_SOCK_LB hop, in the low byte of its extra word
export const PROG_FROM_CONTAINER: u32 = 1;
export const PROG_FROM_OVERLAY: u32 = 2;
export const PROG_FROM_NETDEV: u32 = 3;
export const PROG_FROM_HOST: u32 = 4;
export const PROG_SOCK_CONNECT: u32 = 5;
export const PROG_SOCK_SENDMSG: u32 = 6;
export const PROG_SOCK_RECVMSG: u32 = 7;
export const PROG_AFFINITY: u32 = 256; // the backend came from the ClientIP affinity map
export const PROG_LOOPBACK: u32 = 512; // the backend is the client itself: source set to the service loopback address

// Drop reasons
export const X_NONE: u32 = 0;
export const X_NO_ROUTE: u32 = 1;
export const X_NO_NEIGHBOUR: u32 = 2;
export const X_TTL: u32 = 3;
export const X_FRAG_NEEDED: u32 = 4;
export const X_REJECTED: u32 = 5;
export const X_RULE_DROP: u32 = 6;
export const X_CT_FULL: u32 = 7;
export const X_NO_SOCKET: u32 = 8; // nothing listens (no container port)
export const X_LOOP: u32 = 9;
export const X_LEAVES_CLUSTER: u32 = 10;
export const X_NO_FDB: u32 = 11;
export const X_BLACKHOLE: u32 = 12; // a blackhole route discards it
export const X_NO_BACKEND: u32 = 13; // socket LB: the Service has no backend, the socket call fails (EHOSTUNREACH)
export const X_NO_ENDPOINT: u32 = 14; // Cilium: no endpoint holds this address of the node's pod CIDR
export const X_NODE_DOWN: u32 = 15; // the next hop's node is down: nothing receives the frame
export const X_POLICY_DENIED: u32 = 16; // NetworkPolicy: the enforcing CNI drops it (no rule of the policies isolating the pod allows it)
export const X_NO_CONNECTION: u32 = 17; // no socket for this reply: its source is not the address the client connected to (TCP answers RST, UDP ICMP port unreachable)
export const X_REASONS: u32 = 32; // drop-reason slots the counters keep

// Hop record
export const T_SEQ: u32 = 0;
export const T_NODE: u32 = 4;
export const T_NETNS: u32 = 8;
export const T_COMPONENT: u32 = 12;
export const T_ACTION: u32 = 16;
export const T_REASON: u32 = 20;
export const T_IN: u32 = 24; // interface id + 1, 0 for none
export const T_OUT: u32 = 28;
export const T_DECIDER: u32 = 32;
export const T_ARG: u32 = 36;
export const T_PHASE: u32 = 40; // PH_*
export const T_EXTRA: u32 = 44; // action-specific: rules walked for NAT hops
export const T_PACKET: u32 = 48; // a copy of the packet record
export const T_BYTES: u32 = 48 + 80;

// Phases of a traced exchange
export const PH_REQUEST: u32 = 0;
export const PH_REPLY: u32 = 1;
export const PH_ERROR: u32 = 2; // an ICMP error travelling back

// Verdicts of forward()
export const V_DELIVERED: u32 = 1;
export const V_DROPPED: u32 = 2;
export const V_REJECTED: u32 = 3;

export const NONE: u32 = 0xffffffff;

// Batch flow record (runFlows): one connection, or one DNS query, of a simulation plan
export const FL_FROM: u32 = 0; // client namespace
export const FL_SRC: u32 = 4;
export const FL_DST: u32 = 8;
export const FL_SPORT: u32 = 12;
export const FL_DPORT: u32 = 16;
export const FL_PROTO: u32 = 20;
export const FL_LEN: u32 = 24;
export const FL_SEED: u32 = 28; // the flow's own PRNG seed
export const FL_PACKETS: u32 = 32; // packets the client sends (the first opens the connection)
export const FL_TIME: u32 = 36; // simulated second it starts
export const FL_FLAGS: u32 = 40; // RF_*
export const FL_BYTES: u32 = 44;
export const RF_ESTABLISHED: u32 = 1; // established traffic of a connection opened before: no SYN, no answers
export const RF_CLOSE: u32 = 2; // TCP: closed after its packets (FIN, FIN-ACK, ACK), leaving TIME_WAIT
export const RF_CONNECTED: u32 = 4; // UDP from a connect()ed socket (glibc's resolver): PF_CONNECTED on its packets
export const RF_QUERY: u32 = 8; // a DNS query of the lookup before the next connection record
export const RF_LOOKUP_START: u32 = 16; // its lookup's first query
export const RF_AFTER_LOOKUP: u32 = 32; // a connection to the address a lookup just gave: made only if that lookup got its answers
