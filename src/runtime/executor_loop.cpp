// One loop of a run (TensorRT's ILoop semantics, src/ir/control_flow.h):
// recurrences start at their initial values, iterators hand out one slice per
// iteration, the count trip limits and the iterators' extents bound the
// iterations, a while trip limit stops the loop when its condition is false
// (evaluated where its input is computed, before the rest of that iteration).
// After each complete iteration the recurrences take their next values and
// the loop outputs record their inputs; at the end the loop outputs are
// written: the last value (a recurrence's final state) or the values of every
// iteration stacked along a new axis (reversed for kREVERSE).
#include <cstring>
#include <limits>

#include "executor.h"

namespace kiln::runtime {

namespace {

struct Recorded {  // one loop output's values, iteration by iteration
    std::vector<std::vector<uint8_t>> values;
    ir::Shape shape;  // every iteration's value must have it
    bool any = false;
};

int64_t readInt(const void* p, ir::DType t) { return int64_t(ir::loadAsDouble(p, t, 0)); }

}  // namespace

Status Executor::runLoop(const ir::ScheduleItem& loop) {
    const ir::Graph& g = core_->plan().graph;
    const int64_t id = loop.id;
    const std::string what = "loop " + std::to_string(id);
    auto mine = [&](const ir::Node& n) { return ir::isLoopBoundaryOp(n.op) && n.attrs.getInt("loop") == id; };

    // The bound on the iterations: count limits and iterator extents (known now: from outside the loop).
    int64_t limit = std::numeric_limits<int64_t>::max();
    std::vector<int> recurrences;
    for (const ir::ScheduleItem& it : loop.body) {
        if (it.kind != ir::ScheduleItem::Kind::kNode || !mine(g.nodes[size_t(it.node)])) continue;
        const ir::Node& n = g.nodes[size_t(it.node)];
        const int x = n.inputs[0];
        if (n.op == "LoopRecurrence") recurrences.push_back(it.node);
        if (n.op == "LoopTripLimit" && n.attrs.getString("kind", "count") == "count")
            limit = std::min(limit, std::max<int64_t>(readInt(ptrs_[size_t(x)], g.values[size_t(x)].dtype), 0));
        if (n.op == "LoopIterator") {
            int64_t axis = n.attrs.getInt("axis", 0);
            if (!ir::normalizeAxis(axis, int64_t(shapes_[size_t(x)].size())))
                return Status::Error(what + ": iterator '" + n.name + "' has an axis out of range");
            limit = std::min(limit, shapes_[size_t(x)][size_t(axis)]);
        }
    }
    if (limit == std::numeric_limits<int64_t>::max())
        return Status::Error(what + " has no count trip limit or iterator: it would never end");
    // Recurrence states start at their initial values.
    for (int r : recurrences) {
        const ir::Node& n = g.nodes[size_t(r)];
        const int init = n.inputs[0], out = n.outputs[0];
        const size_t bytes = size_t(ir::volume(shapes_[size_t(init)])) * ir::dtypeSize(g.values[size_t(init)].dtype);
        ptrs_[size_t(out)] = dynamicBuffer(out, bytes);
        shapes_[size_t(out)] = shapes_[size_t(init)];
        if (bytes) std::memcpy(ptrs_[size_t(out)], ptrs_[size_t(init)], bytes);
    }
    std::vector<Recorded> recorded(loop.loopOutputs.size());
    int64_t t = 0;
    for (; t < limit; ++t) {
        bool stop = false;
        for (const ir::ScheduleItem& it : loop.body) {
            if (it.kind != ir::ScheduleItem::Kind::kNode || !mine(g.nodes[size_t(it.node)])) {
                KILN_RETURN_IF_ERROR(runItem(it));
                continue;
            }
            const ir::Node& n = g.nodes[size_t(it.node)];
            const int x = n.inputs[0];
            if (n.op == "LoopTripLimit") {
                if (n.attrs.getString("kind", "count") == "while" && !*static_cast<const uint8_t*>(ptrs_[size_t(x)])) {
                    stop = true;
                    break;
                }
            } else if (n.op == "LoopIterator") {
                // Slice t (from the end when reversed) along the axis.
                const ir::Shape& xs = shapes_[size_t(x)];
                int64_t axis = n.attrs.getInt("axis", 0);
                ir::normalizeAxis(axis, int64_t(xs.size()));
                const int64_t idx = n.attrs.getInt("reverse", 0) ? xs[size_t(axis)] - 1 - t : t;
                int64_t outer = 1, inner = int64_t(ir::dtypeSize(g.values[size_t(x)].dtype));
                for (int64_t d = 0; d < axis; ++d) outer *= xs[size_t(d)];
                for (size_t d = size_t(axis) + 1; d < xs.size(); ++d) inner *= xs[d];
                ir::Shape s = xs;
                s.erase(s.begin() + axis);
                const int out = n.outputs[0];
                auto* dst = static_cast<uint8_t*>(dynamicBuffer(out, size_t(outer * inner)));
                const auto* src = static_cast<const uint8_t*>(ptrs_[size_t(x)]);
                for (int64_t o = 0; o < outer; ++o)
                    std::memcpy(dst + o * inner, src + (o * xs[size_t(axis)] + idx) * inner, size_t(inner));
                ptrs_[size_t(out)] = dst;
                shapes_[size_t(out)] = s;
            }
            // LoopRecurrence: its state is already in place.
        }
        if (stop) break;
        // A complete iteration: record the loop outputs' inputs, then advance the states.
        for (size_t k = 0; k < loop.loopOutputs.size(); ++k) {
            const ir::Node& n = g.nodes[size_t(loop.loopOutputs[k])];
            const int v = n.inputs[0];
            const size_t bytes = size_t(ir::volume(shapes_[size_t(v)])) * ir::dtypeSize(g.values[size_t(v)].dtype);
            Recorded& r = recorded[k];
            if (r.any && r.shape != shapes_[size_t(v)] && n.attrs.getString("kind", "last_value") != "last_value")
                return Status::Error(what + ": loop output '" + n.name + "' changes shape from " +
                                     ir::shapeToString(r.shape) + " to " + ir::shapeToString(shapes_[size_t(v)]) +
                                     " between iterations");
            const auto* p = static_cast<const uint8_t*>(ptrs_[size_t(v)]);
            if (n.attrs.getString("kind", "last_value") == "last_value") r.values.clear();
            r.values.emplace_back(p, p + bytes);
            r.shape = shapes_[size_t(v)];
            r.any = true;
        }
        // Next values are read before any state changes (one state may feed another's next value).
        std::vector<std::vector<uint8_t>> next(recurrences.size());
        std::vector<ir::Shape> nextShape(recurrences.size());
        for (size_t k = 0; k < recurrences.size(); ++k) {
            const int v = g.nodes[size_t(recurrences[k])].inputs[1];
            const size_t bytes = size_t(ir::volume(shapes_[size_t(v)])) * ir::dtypeSize(g.values[size_t(v)].dtype);
            const auto* p = static_cast<const uint8_t*>(ptrs_[size_t(v)]);
            next[k].assign(p, p + bytes);
            nextShape[k] = shapes_[size_t(v)];
        }
        for (size_t k = 0; k < recurrences.size(); ++k) {
            const int out = g.nodes[size_t(recurrences[k])].outputs[0];
            ptrs_[size_t(out)] = dynamicBuffer(out, next[k].size());
            if (!next[k].empty()) std::memcpy(ptrs_[size_t(out)], next[k].data(), next[k].size());
            shapes_[size_t(out)] = nextShape[k];
        }
    }
    // The loop outputs.
    for (size_t k = 0; k < loop.loopOutputs.size(); ++k) {
        const ir::Node& n = g.nodes[size_t(loop.loopOutputs[k])];
        const int v = n.inputs[0], out = n.outputs[0];
        const ir::DType type = g.values[size_t(v)].dtype;
        const std::string kind = n.attrs.getString("kind", "last_value");
        const bool fromRecurrence = g.values[size_t(v)].producer >= 0 &&
                                    mine(g.nodes[size_t(g.values[size_t(v)].producer)]) &&
                                    g.nodes[size_t(g.values[size_t(v)].producer)].op == "LoopRecurrence";
        if (kind == "last_value") {
            const void* src = nullptr;
            ir::Shape s;
            if (fromRecurrence) {  // the final state (the initial value after no iteration)
                src = ptrs_[size_t(v)];
                s = shapes_[size_t(v)];
            } else if (recorded[k].any) {
                src = recorded[k].values.back().data();
                s = recorded[k].shape;
            } else {
                return Status::Error(what + " ran no iteration: loop output '" + n.name + "' has no last value");
            }
            KILN_RETURN_IF_ERROR(place(out, s, type));
            const size_t bytes = size_t(ir::volume(s)) * ir::dtypeSize(type);
            if (bytes) std::memmove(ptrs_[size_t(out)], src, bytes);
            continue;
        }
        // Stacked along a new axis.
        const Recorded& r = recorded[k];
        ir::Shape elem = r.any ? r.shape : g.values[size_t(v)].shape;
        if (!r.any)
            for (auto& d : elem) d = std::max<int64_t>(d, 0);  // no iteration: an empty stack
        int64_t axis = n.attrs.getInt("axis", 0);
        if (!ir::normalizeAxis(axis, int64_t(elem.size()) + 1))
            return Status::Error(what + ": loop output '" + n.name + "' has an axis out of range");
        const int64_t iterations = int64_t(r.values.size());
        if (n.inputs.size() > 1 && n.inputs[1] >= 0) {
            const int64_t want = readInt(ptrs_[size_t(n.inputs[1])], g.values[size_t(n.inputs[1])].dtype);
            if (want != iterations)
                return Status::Error(what + ": loop output '" + n.name + "' was given length " + std::to_string(want) +
                                     " but the loop ran " + std::to_string(iterations) + " iterations");
        }
        ir::Shape s = elem;
        s.insert(s.begin() + axis, iterations);
        KILN_RETURN_IF_ERROR(place(out, s, type));
        int64_t outer = 1, inner = int64_t(ir::dtypeSize(type));
        for (int64_t d = 0; d < axis; ++d) outer *= elem[size_t(d)];
        for (size_t d = size_t(axis); d < elem.size(); ++d) inner *= elem[d];
        auto* dst = static_cast<uint8_t*>(ptrs_[size_t(out)]);
        for (int64_t i = 0; i < iterations; ++i) {
            const auto& src = r.values[size_t(kind == "reverse" ? iterations - 1 - i : i)];
            for (int64_t o = 0; o < outer; ++o)
                std::memcpy(dst + (o * iterations + i) * inner, src.data() + o * inner, size_t(inner));
        }
    }
    return Status::Ok();
}

}  // namespace kiln::runtime
