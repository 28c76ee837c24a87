// The noc plugin: noc.router and noc.ni (see router.hpp, ni.hpp and plugins/noc/README.md).
#include "ni.hpp"
#include "router.hpp"

using strata::PortDir;

STRATA_TRANSACTION_TYPE(strata::noc::Credit);  // crosses MPI ranks in `mpirun strata run`
STRATA_TRANSACTION_TYPE(strata::noc::Message);

STRATA_PLUGIN(
    "noc", "1.0", "3D network-on-chip: virtual-channel routers with credit flow control, network interfaces",
    strata::component<strata::noc::Router, strata::noc::RouterParams>("noc.router")
        .summary("Input-buffered VC router of any radix: credits, round-robin arbitration, DOR or up*/down*")
        .description(
            "Transaction-level virtual cut-through router: per-hop pipeline latency in cycles, packets "
            "serialised into flits (an output is busy flits x cycle), input buffers of vcs x vc_depth packets "
            "per port with credit-based flow control over the link, round-robin output arbitration. Routing "
            "'dor' (X,Y,Z order; dateline VC classes on tori) or 'table' (up*/down*, any connected graph). "
            "The sending router books each link's wire energy: planar wires per grid step, TSVs and skip TSVs "
            "from their electrical parameters (activity*C*Vdd^2 per bit, Elmore delay added to the link). "
            "Neighbours are discovered from the SystemView; grid indices give coordinates. Sources: Dally & "
            "Towles 2004; Dally & Seitz 1987; Schroeder et al. 1991; Atleus (arXiv:2501.09588) for the TSV.")
        .multi_port("port", PortDir::inout, "noc", "links to neighbour routers and network interfaces")
        .counter("packets", "count", "packets forwarded")
        .counter("flits", "count", "flits forwarded")
        .counter("credit_stalls", "count", "episodes of an output idle with a ready packet but no downstream credit")
        .counter("credit_stall_time", "ps", "time outputs spent in such episodes (summed over outputs)")
        .accumulator("port_utilisation", "1", "busy fraction of each linked output port (one sample per port)")
        .accumulator("buffer_occupancy", "packets", "packets in the input port's buffers, sampled at each arrival")
        .accumulator("router_latency", "ps", "head arrival to departure per packet (pipeline + waiting)")
        .energy("buffer_write")
        .energy("buffer_read")
        .energy("crossbar")
        .energy("arbitration")
        .energy("vc_allocation")
        .energy("link")
        .energy("tsv"),
    strata::component<strata::noc::NetworkInterface, strata::noc::NiParams>("noc.ni")
        .summary("Network interface: transfers -> packets, injection with credits, reassembly, completion")
        .description(
            "A TransferRequest on ctrl is split into packets of at most max_packet bytes and injected into the "
            "router respecting its credits; the destination NI consumes packets (at sink_bandwidth if set), "
            "returns credits, reassembles, notifies its requester (arrived = true) and sends a completion packet "
            "back through the network; the source NI then returns the request with status ok and completed_at = "
            "the time the last byte was consumed. Endpoint id = SystemView::ordinal(name).")
        .port("ctrl", PortDir::inout, "xfer", "transfer requests from the requester, answers to it (optional)")
        .required_port("router", PortDir::inout, "noc", "the router this interface injects into")
        .counter("transfers", "count", "transfers completed and returned to the requester")
        .counter("bytes_sent", "B", "bytes of those transfers")
        .counter("packets_sent", "count", "packets injected (data and completions)")
        .counter("packets_received", "count", "data packets consumed")
        .counter("bytes_received", "B", "data bytes consumed")
        .counter("transfers_received", "count", "transfers fully reassembled here")
        .counter("acks_sent", "count", "completion packets sent")
        .counter("credit_stall_time", "ps", "time injection waited for a router credit")
        .histogram("packet_latency", "ps", "injection of the head at the source to consumption here, per packet")
        .accumulator("hops", "count", "routers traversed per data packet")
        .accumulator("transfer_latency", "ps", "acceptance at this NI to last byte consumed at the destination"))
