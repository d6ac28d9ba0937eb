// Assigns arena offsets to intermediate tensors so that tensors whose
// lifetimes do not overlap share memory. Greedy by size (largest first), each
// placed at the lowest offset that fits beside the tensors it overlaps with.
// Tensors whose shape depends on computed values (data-dependent shapes) get
// no slot (offset -1). A reshape that moves no data shares its input's slot
// (ir/views.h), which then lives until the last reader of either.
#include <algorithm>

#include "build.h"
#include "ir/control_flow.h"
#include "ir/views.h"

namespace kiln::builder {

namespace {
constexpr int64_t kAlign = 64;
int64_t alignUp(int64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }
// Far beyond any machine (64 PiB), and low enough that no offset or end below
// can overflow: the sum of all arena tensors is kept under it.
constexpr int64_t kMaxArenaBytes = int64_t(1) << 56;

struct Interval {
    int value;
    int first, last;  // node indices of definition and last use
    int64_t bytes;
};
}  // namespace

Status planMemory(const ir::Graph& g, bool fixedShapes, engine::MemoryPlan& plan) {
    const int nv = int(g.values.size());
    plan.offsets.assign(size_t(nv), -1);
    // Lifetimes are positions in the execution order (src/ir/control_flow.h).
    ir::Schedule sched;
    KILN_RETURN_IF_ERROR(ir::buildSchedule(g, sched));
    std::vector<Interval> live;
    std::vector<int> lastUse(size_t(nv), -1);
    for (int i = 0; i < int(g.nodes.size()); ++i)
        for (int v : g.nodes[size_t(i)].inputs) {
            if (v < 0) continue;
            // Read inside a loop: alive until the outermost loop ends (every iteration reads it).
            const int until = sched.loopEnd[size_t(i)] >= 0 ? sched.loopEnd[size_t(i)] : sched.position[size_t(i)];
            lastUse[size_t(v)] = std::max(lastUse[size_t(v)], until);
        }
    const std::vector<ir::ArenaView> view = ir::arenaViews(g, sched, fixedShapes);
    for (int v = 0; v < nv; ++v)
        if (const int src = view[size_t(v)].source; src >= 0)
            lastUse[size_t(src)] = std::max(
                {lastUse[size_t(src)], lastUse[size_t(v)], sched.position[size_t(g.values[size_t(v)].producer)]});
    int64_t allBytes = 0;
    for (int i = 0; i < int(g.nodes.size()); ++i) {
        const int at = sched.position[size_t(i)];
        for (int v : g.nodes[size_t(i)].outputs) {
            const ir::Value& val = g.values[size_t(v)];
            if (g.isGraphOutput(v) || view[size_t(v)].source >= 0)
                continue;  // the caller's buffer; a view's source slot
            const int64_t n = ir::volume(val.shape);
            if (n < 0) continue;                    // size known only at run time: the executor allocates it then
            if (sched.inLoop[size_t(i)]) continue;  // per-iteration values: the executor's own buffers
            int64_t bytes = 0;
            if (__builtin_mul_overflow(std::max<int64_t>(n, 1), int64_t(ir::dtypeSize(val.dtype)), &bytes) ||
                bytes > kMaxArenaBytes || (allBytes += alignUp(bytes)) > kMaxArenaBytes)
                return Status::Error("tensor '" + val.name + "' " + ir::shapeToString(val.shape) +
                                     ": the activations would need more than 2^56 bytes");
            live.push_back({v, at, std::max(at, lastUse[size_t(v)]), alignUp(bytes)});
        }
    }
    std::stable_sort(live.begin(), live.end(), [](const Interval& a, const Interval& b) { return a.bytes > b.bytes; });
    std::vector<std::pair<const Interval*, int64_t>> placed;
    int64_t total = 0;
    for (const Interval& iv : live) {
        std::vector<std::pair<int64_t, int64_t>> busy;  // [offset, end) of overlapping placed tensors
        for (const auto& [p, off] : placed)
            if (p->first <= iv.last && iv.first <= p->last) busy.push_back({off, off + p->bytes});
        std::sort(busy.begin(), busy.end());
        int64_t off = 0;
        for (const auto& [b, e] : busy) {
            if (off + iv.bytes <= b) break;
            off = std::max(off, e);
        }
        placed.push_back({&iv, off});
        plan.offsets[size_t(iv.value)] = off;
        total = std::max(total, off + iv.bytes);
    }
    for (int v = 0; v < nv; ++v)
        if (view[size_t(v)].source >= 0)
            plan.offsets[size_t(v)] = plan.offsets[size_t(view[size_t(v)].source)] + view[size_t(v)].offset;
    plan.arenaBytes = uint64_t(total);
    return Status::Ok();
}

}  // namespace kiln::builder
