// One loop of a CUDA engine's run, with TensorRT's ILoop semantics exactly as
// the CPU executor runs them (src/runtime/executor_loop.cpp): the count trip
// limits and iterator extents are known on the host before the loop; a while
// trip limit's condition is read back each iteration where it is computed;
// recurrences, iterator slices and loop outputs are device copies. The values
// of every iteration of a stacked loop output are kept in a device buffer
// grown as needed and written out once the loop ends.
#include <algorithm>
#include <limits>

#include "cuda_state.h"

namespace kiln::cuda {

namespace {

struct Recorded {  // one loop output's values so far
    int64_t count = 0;
    size_t bytes = 0;  // of one iteration's value
    ir::Shape shape;   // every iteration's value must have it (stacked outputs)
    bool any = false;
};

}  // namespace

Status ContextStateImpl::runLoop(const ir::ScheduleItem& loop) {
    const ir::Graph& g = plan->graph;
    const int64_t id = loop.id;
    const std::string what = "loop " + std::to_string(id);
    auto mine = [&](const ir::Node& n) { return ir::isLoopBoundaryOp(n.op) && n.attrs.getInt("loop") == id; };
    auto hostValue = [&](int v, const void*& p) -> Status {
        p = hostPtr[size_t(v)];
        if (!p) return Status::Error(what + ": the value of '" + g.values[size_t(v)].name + "' is not on the host");
        return Status::Ok();
    };

    // The bound on the iterations: count limits and iterator extents (from outside the loop).
    int64_t limit = std::numeric_limits<int64_t>::max();
    std::vector<int> recurrences;
    for (const ir::ScheduleItem& it : loop.body) {
        if (it.kind != ir::ScheduleItem::Kind::kNode || !mine(g.nodes[size_t(it.node)])) continue;
        const ir::Node& n = g.nodes[size_t(it.node)];
        const int x = n.inputs[0];
        if (n.op == "LoopRecurrence") recurrences.push_back(it.node);
        if (n.op == "LoopTripLimit" && n.attrs.getString("kind", "count") == "count") {
            const void* p = nullptr;
            KILN_RETURN_IF_ERROR(hostValue(x, p));
            limit = std::min(limit, std::max<int64_t>(int64_t(ir::loadAsDouble(p, g.values[size_t(x)].dtype, 0)), 0));
        }
        if (n.op == "LoopIterator") {
            int64_t axis = n.attrs.getInt("axis", 0);
            if (!ir::normalizeAxis(axis, int64_t(shapes[size_t(x)].size())))
                return Status::Error(what + ": iterator '" + n.name + "' has an axis out of range");
            limit = std::min(limit, shapes[size_t(x)][size_t(axis)]);
        }
    }
    if (limit == std::numeric_limits<int64_t>::max())
        return Status::Error(what + " has no count trip limit or iterator: it would never end");
    // Recurrence states start at their initial values.
    std::vector<int> states;
    for (int r : recurrences) {
        const ir::Node& n = g.nodes[size_t(r)];
        const int init = n.inputs[0], out = n.outputs[0];
        shapes[size_t(out)] = shapes[size_t(init)];
        KILN_RETURN_IF_ERROR(dynamicBuffer(out, bytesOf(out), ptrs[size_t(out)]));
        KILN_RETURN_IF_ERROR(copy(ptrs[size_t(out)], ptrs[size_t(init)], bytesOf(out), cudaMemcpyDeviceToDevice));
        states.push_back(out);
    }
    KILN_RETURN_IF_ERROR(readBack(states));
    std::vector<Recorded> recorded(loop.loopOutputs.size());
    auto fromRecurrence = [&](int v) {
        const int p = g.values[size_t(v)].producer;
        return p >= 0 && mine(g.nodes[size_t(p)]) && g.nodes[size_t(p)].op == "LoopRecurrence";
    };
    for (int64_t t = 0; t < limit; ++t) {
        bool stop = false;
        for (const ir::ScheduleItem& it : loop.body) {
            if (it.kind != ir::ScheduleItem::Kind::kNode || !mine(g.nodes[size_t(it.node)])) {
                KILN_RETURN_IF_ERROR(runItem(it));
                continue;
            }
            const ir::Node& n = g.nodes[size_t(it.node)];
            const int x = n.inputs[0];
            if (n.op == "LoopTripLimit") {
                if (n.attrs.getString("kind", "count") != "while") continue;
                const void* c = nullptr;
                KILN_RETURN_IF_ERROR(hostValue(x, c));
                if (!*static_cast<const uint8_t*>(c)) {
                    stop = true;
                    break;
                }
            } else if (n.op == "LoopIterator") {
                // Slice t (from the end when reversed) along the axis: rows of `inner` bytes.
                const ir::Shape& xs = shapes[size_t(x)];
                int64_t axis = n.attrs.getInt("axis", 0);
                ir::normalizeAxis(axis, int64_t(xs.size()));
                const int64_t idx = n.attrs.getInt("reverse", 0) ? xs[size_t(axis)] - 1 - t : t;
                int64_t outer = 1, inner = int64_t(ir::dtypeSize(g.values[size_t(x)].dtype));
                for (int64_t d = 0; d < axis; ++d) outer *= xs[size_t(d)];
                for (size_t d = size_t(axis) + 1; d < xs.size(); ++d) inner *= xs[d];
                ir::Shape s = xs;
                s.erase(s.begin() + axis);
                const int out = n.outputs[0];
                shapes[size_t(out)] = s;
                KILN_RETURN_IF_ERROR(dynamicBuffer(out, size_t(outer * inner), ptrs[size_t(out)]));
                if (outer > 0 && inner > 0)
                    KILN_CUDA_CHECK(cudaMemcpy2DAsync(ptrs[size_t(out)], size_t(inner),
                                                      static_cast<const uint8_t*>(ptrs[size_t(x)]) + idx * inner,
                                                      size_t(xs[size_t(axis)] * inner), size_t(inner), size_t(outer),
                                                      cudaMemcpyDeviceToDevice, stream));
                KILN_RETURN_IF_ERROR(readBack(n.outputs));
            }
            // LoopRecurrence: its state is already in place.
        }
        if (stop) break;
        // A complete iteration: record the loop outputs' inputs, then advance the states.
        for (size_t k = 0; k < loop.loopOutputs.size(); ++k) {
            const ir::Node& n = g.nodes[size_t(loop.loopOutputs[k])];
            const int v = n.inputs[0];
            const bool last = n.attrs.getString("kind", "last_value") == "last_value";
            Recorded& r = recorded[k];
            if (r.any && r.shape != shapes[size_t(v)] && !last)
                return Status::Error(what + ": loop output '" + n.name + "' changes shape from " +
                                     ir::shapeToString(r.shape) + " to " + ir::shapeToString(shapes[size_t(v)]) +
                                     " between iterations");
            r.shape = shapes[size_t(v)];
            r.bytes = bytesOf(v);
            r.any = true;
            if (last && fromRecurrence(v)) continue;  // the final state is the value
            DeviceBuffer& buf = records[size_t(n.outputs[0])];
            const int64_t at = last ? 0 : r.count;
            KILN_RETURN_IF_ERROR(growPreserving(buf, size_t(at + 1) * r.bytes, size_t(at) * r.bytes));
            KILN_RETURN_IF_ERROR(copy(static_cast<uint8_t*>(buf.get()) + size_t(at) * r.bytes, ptrs[size_t(v)], r.bytes,
                                      cudaMemcpyDeviceToDevice));
            r.count = at + 1;
        }
        // Next values are taken before any state changes (one state may feed
        // another's next value): into a scratch buffer per recurrence first.
        std::vector<ir::Shape> nextShape(recurrences.size());
        for (size_t k = 0; k < recurrences.size(); ++k) {
            const ir::Node& n = g.nodes[size_t(recurrences[k])];
            const int next = n.inputs[1];
            DeviceBuffer& scratch = records[size_t(n.outputs[0])];
            KILN_RETURN_IF_ERROR(growPreserving(scratch, bytesOf(next), 0));
            KILN_RETURN_IF_ERROR(copy(scratch.get(), ptrs[size_t(next)], bytesOf(next), cudaMemcpyDeviceToDevice));
            nextShape[k] = shapes[size_t(next)];
        }
        for (size_t k = 0; k < recurrences.size(); ++k) {
            const int out = g.nodes[size_t(recurrences[k])].outputs[0];
            shapes[size_t(out)] = nextShape[k];
            KILN_RETURN_IF_ERROR(dynamicBuffer(out, bytesOf(out), ptrs[size_t(out)]));
            KILN_RETURN_IF_ERROR(
                copy(ptrs[size_t(out)], records[size_t(out)].get(), bytesOf(out), cudaMemcpyDeviceToDevice));
        }
        KILN_RETURN_IF_ERROR(readBack(states));
    }
    // The loop outputs.
    for (size_t k = 0; k < loop.loopOutputs.size(); ++k) {
        const ir::Node& n = g.nodes[size_t(loop.loopOutputs[k])];
        const int v = n.inputs[0], out = n.outputs[0];
        const size_t es = ir::dtypeSize(g.values[size_t(v)].dtype);
        const std::string kind = n.attrs.getString("kind", "last_value");
        const Recorded& r = recorded[k];
        if (kind == "last_value") {
            const void* src = nullptr;
            ir::Shape s;
            if (fromRecurrence(v)) {  // the final state (the initial value after no iteration)
                src = ptrs[size_t(v)];
                s = shapes[size_t(v)];
            } else if (r.any) {
                src = records[size_t(out)].get();
                s = r.shape;
            } else {
                return Status::Error(what + " ran no iteration: loop output '" + n.name + "' has no last value");
            }
            KILN_RETURN_IF_ERROR(place(out, s));
            KILN_RETURN_IF_ERROR(copy(ptrs[size_t(out)], src, bytesOf(out), cudaMemcpyDeviceToDevice));
            KILN_RETURN_IF_ERROR(readBack(n.outputs));
            continue;
        }
        // Stacked along a new axis.
        ir::Shape elem = r.any ? r.shape : g.values[size_t(v)].shape;
        if (!r.any)
            for (auto& d : elem) d = std::max<int64_t>(d, 0);  // no iteration: an empty stack
        int64_t axis = n.attrs.getInt("axis", 0);
        if (!ir::normalizeAxis(axis, int64_t(elem.size()) + 1))
            return Status::Error(what + ": loop output '" + n.name + "' has an axis out of range");
        const int64_t iterations = r.count;
        if (n.inputs.size() > 1 && n.inputs[1] >= 0) {
            const void* p = nullptr;
            KILN_RETURN_IF_ERROR(hostValue(n.inputs[1], p));
            const int64_t want = int64_t(ir::loadAsDouble(p, g.values[size_t(n.inputs[1])].dtype, 0));
            if (want != iterations)
                return Status::Error(what + ": loop output '" + n.name + "' was given length " + std::to_string(want) +
                                     " but the loop ran " + std::to_string(iterations) + " iterations");
        }
        ir::Shape s = elem;
        s.insert(s.begin() + axis, iterations);
        KILN_RETURN_IF_ERROR(place(out, s));
        int64_t outer = 1, inner = int64_t(es);
        for (int64_t d = 0; d < axis; ++d) outer *= elem[size_t(d)];
        for (size_t d = size_t(axis); d < elem.size(); ++d) inner *= elem[d];
        auto* dst = static_cast<uint8_t*>(ptrs[size_t(out)]);
        const auto* rec = static_cast<const uint8_t*>(records[size_t(out)].get());
        if (outer > 0 && inner > 0)
            for (int64_t i = 0; i < iterations; ++i) {
                const int64_t from = kind == "reverse" ? iterations - 1 - i : i;
                KILN_CUDA_CHECK(cudaMemcpy2DAsync(dst + i * inner, size_t(iterations * inner),
                                                  rec + size_t(from) * r.bytes, size_t(inner), size_t(inner),
                                                  size_t(outer), cudaMemcpyDeviceToDevice, stream));
            }
        KILN_RETURN_IF_ERROR(readBack(n.outputs));
    }
    return Status::Ok();
}

}  // namespace kiln::cuda
