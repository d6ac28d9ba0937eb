#include "host_plan.h"

#include <algorithm>
#include <initializer_list>

#include "backends/cpu/kernel.h"
#include "backends/cpu/shape_eval.h"
#include "ir/control_flow.h"
#include "ir/ops/data_dependent.h"

namespace kiln::cuda {

bool isDataDependentOp(std::string_view op) { return op == "NonZero" || op == "Unique" || op == "NMS"; }
bool isHostOp(std::string_view op) { return op == "ImageDecoder"; }

namespace {

// Shape reads only the shape of its input, never its values.
bool readsValues(const ir::Node& n, size_t input) { return !(n.op == "Shape" && input == 0); }

// Whether a device layer's kernel reads this input's values in device memory.
// A Reshape's dims, a Slice's starts, ends, axes and steps and a Fill's
// parameters are read from their host copies (DeviceTensor::hostData), so a
// host value only such inputs read is not copied to the device (each copy
// is a node of a replayed CUDA graph: dynamic BERT has about a hundred).
bool readsOnDevice(const ir::Node& n, size_t input) {
    if (!readsValues(n, input) || n.op == "Fill") return false;
    return !((n.op == "Shuffle" && input == 1) || (n.op == "Slice" && input >= 1));
}

int64_t checkedProduct(std::initializer_list<int64_t> v) {
    int64_t r = 1;
    for (int64_t x : v)
        if (x < 0 || __builtin_mul_overflow(r, x, &r)) return -1;
    return r;
}

// A stand-in address for the data of a zero-element tensor (present, never read).
const uint8_t kNoBytes[8] = {};

}  // namespace

int64_t extentBound(const ir::Node& n, const std::vector<ir::TensorDesc>& in) {
    if (in.empty() || !ir::isStatic(in[0].shape)) return -1;
    if (n.op == "NonZero") return ir::volume(in[0].shape);
    if (n.op == "Unique") {
        ir::UniqueParams p;
        if (!ir::resolveUnique(n, in[0], p).ok()) return -1;
        return p.hasAxis ? in[0].shape[size_t(p.axis)] : ir::volume(in[0].shape);
    }
    if (n.op == "NMS") {
        if (in.size() < 2 || in[1].shape.size() != 3 || !ir::isStatic(in[1].shape)) return -1;
        const int64_t b = in[1].shape[0], c = in[1].shape[1];
        int64_t per = in[1].shape[2];
        const int64_t topk = n.attrs.getInt("topk_limit", 0);
        if (topk > 0) per = std::min(per, topk);
        // Without max_output_boxes_per_class nothing is selected (ONNX's default 0).
        if (in.size() < 3 || n.inputs.size() < 3 || n.inputs[2] < 0) return 0;
        if (in[2].data && ir::volume(in[2].shape) == 1)
            per = std::min(per, std::max<int64_t>(int64_t(ir::loadAsDouble(in[2].data, in[2].dtype, 0)), 0));
        return checkedProduct({b, c, per});
    }
    return -1;
}

std::vector<ir::TensorDesc> HostPlan::inputs(const ir::Graph& g, const ir::Node& n) const {
    std::vector<ir::TensorDesc> in;
    for (int v : n.inputs) {
        if (v < 0) {
            in.push_back({});
            continue;
        }
        const ir::Value& val = g.values[size_t(v)];
        const void* d = nullptr;
        if (val.isConstant())
            d = val.data->empty() ? kNoBytes : val.data->data();
        else if (hasData[size_t(v)])
            d = data[size_t(v)].empty() ? kNoBytes : data[size_t(v)].data();
        in.push_back({val.dtype, bound[size_t(v)], d});
    }
    return in;
}

std::vector<ir::TensorDesc> HostPlan::createInputs(const ir::Graph& g, const ir::Node& n) const {
    std::vector<ir::TensorDesc> in = inputs(g, n);
    for (size_t k = 0; k < in.size(); ++k)
        if (n.inputs[k] >= 0 && !g.values[size_t(n.inputs[k])].isConstant()) in[k].data = nullptr;
    return in;
}

std::vector<ir::TensorDesc> HostPlan::outputs(const ir::Graph& g, const ir::Node& n) const {
    std::vector<ir::TensorDesc> out;
    for (int v : n.outputs) out.push_back({g.values[size_t(v)].dtype, bound[size_t(v)], nullptr});
    return out;
}

bool HostPlan::bounded(const ir::Graph&, const ir::Node& n) const {
    for (int v : n.inputs)
        if (v >= 0 && !ir::isStatic(bound[size_t(v)])) return false;
    for (int v : n.outputs)
        if (!ir::isStatic(bound[size_t(v)])) return false;
    return true;
}

bool HostPlan::readsBack(const ir::Node& n) const {
    for (int v : n.inputs)
        if (v >= 0 && readback[size_t(v)]) return true;
    return false;
}

namespace {

struct Planner {
    const ir::Graph& g;
    HostPlan& p;
    ir::Schedule sched;
    std::vector<char> eligible;       // per node
    std::vector<char> eligibleValue;  // per value: a constant or an eligible node's output
    std::vector<char> known;          // per value: p.data holds its values at the bounds
    // Per value: its bound is its largest shape over the profile, not an upper
    // bound of a data-dependent extent (bounds of two such values need not agree).
    std::vector<char> exact;
    std::vector<char> needed;  // per value
    cpu::ThreadPool pool{1};

    Planner(const ir::Graph& graph, HostPlan& plan) : g(graph), p(plan) {}

    std::vector<ir::TensorDesc> describe(const ir::Node& n) const {
        std::vector<ir::TensorDesc> in;
        for (int v : n.inputs) {
            if (v < 0) {
                in.push_back({});
                continue;
            }
            const ir::Value& val = g.values[size_t(v)];
            const void* d = nullptr;
            if (val.isConstant())
                d = val.data->empty() ? kNoBytes : val.data->data();
            else if (known[size_t(v)])
                d = p.data[size_t(v)].empty() ? kNoBytes : p.data[size_t(v)].data();
            in.push_back({val.dtype, p.bound[size_t(v)], d});
        }
        return in;
    }

    static bool allStatic(const std::vector<ir::TensorDesc>& ts) {
        for (const auto& t : ts)
            if (!ir::isStatic(t.shape)) return false;
        return true;
    }

    // The values of an eligible node at the bound shapes, when its inputs' are known.
    void evaluate(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out,
                  const cpu::Tactic& ref) {
        for (size_t k = 0; k < n.inputs.size(); ++k)
            if (n.inputs[k] >= 0 && ((readsValues(n, k) && !in[k].data) || !ir::isStatic(in[k].shape))) return;
        std::vector<std::vector<uint8_t>> bytes;
        if (!cpu::runReference(n, ref, in, out, pool, bytes)) return;
        for (size_t k = 0; k < out.size(); ++k) {
            const int v = n.outputs[k];
            p.data[size_t(v)] = std::move(bytes[k]);
            known[size_t(v)] = 1;
        }
    }

    // Bounds, eligibility and build-time values, in execution order.
    void forward() {
        for (int ni : sched.order) {
            const ir::Node& n = g.nodes[size_t(ni)];
            const std::vector<ir::TensorDesc> in = describe(n);
            std::vector<ir::TensorDesc> out;
            const bool inferred = ir::inferNode(n, in, out).ok();
            if (!inferred) out = ir::describeOutputs(g, n);
            if (isDataDependentOp(n.op)) {
                const int64_t b = extentBound(n, in);
                if (b >= 0)
                    for (auto& o : out)
                        for (auto& d : o.shape)
                            if (d < 0) d = b;
            }
            bool exactIn = !isDataDependentOp(n.op) && n.op != "LoopOutput";
            for (int v : n.inputs) exactIn = exactIn && (v < 0 || exact[size_t(v)]);
            for (size_t k = 0; k < n.outputs.size(); ++k) {
                p.bound[size_t(n.outputs[k])] = out[k].shape;
                exact[size_t(n.outputs[k])] = exactIn && inferred && ir::isStatic(out[k].shape);
            }
            if (!inferred || ir::isLoopBoundaryOp(n.op) || isHostOp(n.op) || n.op == "Plugin") continue;
            bool ok = true;
            for (size_t k = 0; k < n.inputs.size() && ok; ++k) {
                const int v = n.inputs[k];
                if (v >= 0 && readsValues(n, k)) ok = eligibleValue[size_t(v)] != 0;
            }
            for (const auto& o : out) ok = ok && ir::isStatic(o.shape) && ir::volume(o.shape) <= kHostTensorMaxElements;
            const cpu::Tactic* ref = ok ? cpu::findCpuTactic(n.op, "ref") : nullptr;
            if (!ref || !ref->supports(n, in, out)) continue;
            eligible[size_t(ni)] = 1;
            for (int v : n.outputs) eligibleValue[size_t(v)] = 1;
            evaluate(n, in, out, *ref);
        }
    }

    void need(int v) {
        if (v >= 0 && !g.values[size_t(v)].isConstant()) needed[size_t(v)] = 1;
    }

    // Which values layers need on the host: their shape inference, control flow, host ops.
    Status findNeeds() {
        for (int ni : sched.order) {
            const ir::Node& n = g.nodes[size_t(ni)];
            if (n.op == "LoopTripLimit") need(n.inputs[0]);
            if (n.op == "LoopOutput" && n.inputs.size() > 1) need(n.inputs[1]);
            if (n.op == "IfOutput") need(n.inputs[0]);
            if (isHostOp(n.op))
                for (int v : n.inputs) need(v);
            if (ir::isLoopBoundaryOp(n.op) || ir::isIfBoundaryOp(n.op) || isHostOp(n.op) || isDataDependentOp(n.op) ||
                n.op == "Plugin")
                continue;
            std::vector<ir::TensorDesc> in = describe(n), out;
            const Status st = ir::inferNode(n, in, out);
            if (!st.ok() || !allStatic(out)) {
                // Missing values: the small inputs not known at build time are read at run time;
                // the inputs known at build time that it reads are parameters its kernel reads too.
                bool any = false;
                for (size_t k = 0; k < n.inputs.size(); ++k) {
                    const int v = n.inputs[k];
                    if (v < 0 || !readsValues(n, k) || g.values[size_t(v)].isConstant()) continue;
                    const ir::Shape& b = p.bound[size_t(v)];
                    if (known[size_t(v)]) {
                        need(v);
                    } else if (eligibleValue[size_t(v)] ||
                               (ir::isStatic(b) && ir::volume(b) <= kHostTensorMaxElements)) {
                        need(v);
                        any = true;
                    }
                }
                bool exactIn = true;
                for (int v : n.inputs) exactIn = exactIn && (v < 0 || exact[size_t(v)]);
                if (!any && exactIn)
                    return Status::Error("layer '" + n.name + "' (" + n.op +
                                         "): its output shape depends on tensor values that the CUDA backend cannot "
                                         "have on the host (" +
                                         (st.ok() ? "inferred " + ir::shapeToString(out[0].shape) : st.message()) +
                                         ")");
                continue;
            }
            // Values known at build time that the shape inference reads.
            for (size_t k = 0; k < n.inputs.size(); ++k) {
                const int v = n.inputs[k];
                if (v < 0 || g.values[size_t(v)].isConstant() || !known[size_t(v)]) continue;
                std::vector<ir::TensorDesc> without = in, out2;
                without[k].data = nullptr;
                bool same = ir::inferNode(n, without, out2).ok();
                for (size_t o = 0; same && o < out.size(); ++o) same = out2[o].shape == out[o].shape;
                if (!same) need(v);
            }
        }
        needConditions(sched.items);
        return Status::Ok();
    }

    void needConditions(const std::vector<ir::ScheduleItem>& items) {
        for (const auto& it : items) {
            if (it.kind == ir::ScheduleItem::Kind::kIf) need(it.condition);
            needConditions(it.body);
            needConditions(it.other);
        }
    }

    // Host nodes: eligible ones whose outputs are needed, back to their inputs.
    void decide() {
        for (auto it = sched.order.rbegin(); it != sched.order.rend(); ++it) {
            const int ni = *it;
            const ir::Node& n = g.nodes[size_t(ni)];
            NodeKind k = NodeKind::kDevice;
            bool wanted = false;
            for (int v : n.outputs) wanted = wanted || needed[size_t(v)];
            if (ir::isLoopBoundaryOp(n.op))
                k = NodeKind::kControl;
            else if (isHostOp(n.op) || (eligible[size_t(ni)] && wanted))
                k = NodeKind::kHost;
            else if (ir::isIfBoundaryOp(n.op))
                k = NodeKind::kControl;
            p.kind[size_t(ni)] = k;
            if (k == NodeKind::kHost)
                for (size_t i = 0; i < n.inputs.size(); ++i)
                    if (readsValues(n, i)) need(n.inputs[i]);
        }
    }

    void finish() {
        const auto consumers = g.consumers();
        for (size_t v = 0; v < g.values.size(); ++v) {
            const ir::Value& val = g.values[v];
            p.hostValue[v] = val.isConstant() || (val.producer >= 0 && p.kind[size_t(val.producer)] == NodeKind::kHost);
            p.readback[v] = needed[v] && !p.hostValue[v];
            if (p.hostValue[v] && !val.isConstant()) {
                bool device = g.isGraphOutput(int(v));
                for (int c : consumers[v]) {
                    const ir::Node& cn = g.nodes[size_t(c)];
                    if (p.kind[size_t(c)] == NodeKind::kHost) continue;
                    for (size_t k = 0; k < cn.inputs.size(); ++k)
                        device = device || (cn.inputs[k] == int(v) && readsOnDevice(cn, k));
                }
                p.upload[v] = device;
            }
            // What supports() sees: host values at the bounds; values known only at run
            // time (read back, or made on the host from run-time shapes) as zeros.
            p.hasData[v] = !val.isConstant() && p.hostValue[v] && known[v];
            const bool runTimeValue = p.readback[v] || (p.hostValue[v] && !val.isConstant() && !known[v]);
            if (runTimeValue && ir::isStatic(p.bound[v])) {
                p.data[v].assign(size_t(ir::volume(p.bound[v])) * ir::dtypeSize(val.dtype), 0);
                p.hasData[v] = 1;
            } else if (!p.hasData[v]) {
                p.data[v].clear();
            }
        }
        for (size_t ni = 0; ni < g.nodes.size(); ++ni)
            p.counted[ni] = p.kind[ni] == NodeKind::kDevice && isDataDependentOp(g.nodes[ni].op);
        // The first reason an enqueue must follow the schedule on the host, in execution order.
        for (int ni : sched.order) {
            const ir::Node& n = g.nodes[size_t(ni)];
            const std::string layer = "layer '" + n.name + "' (" + n.op + ")";
            if (p.counted[size_t(ni)]) {
                p.dynamicReason = layer + " has an output size known only once it has run";
            } else if (isHostOp(n.op)) {
                p.dynamicReason = layer + " runs on the host on values computed on the device";
            } else {
                for (int v : n.outputs)
                    if (p.readback[size_t(v)] && p.dynamicReason.empty())
                        p.dynamicReason =
                            "the values of tensor '" + g.values[size_t(v)].name + "' made by " + layer +
                            " are needed on the host (a shape or a control-flow decision depends on them)";
            }
            if (!p.dynamicReason.empty()) break;
        }
        if (p.dynamicReason.empty())
            for (int v : g.inputs)
                if (p.readback[size_t(v)]) {
                    p.dynamicReason = "the values of network input '" + g.values[size_t(v)].name +
                                      "' are needed on the host (a shape or a control-flow decision depends on them)";
                    break;
                }
        if (p.dynamicReason.empty() && p.controlFlow)
            p.dynamicReason = "it has loops or conditionals, which the runtime follows on the host";
    }
};

}  // namespace

Status planHostWork(const ir::Graph& g, HostPlan& plan) {
    plan = {};
    const size_t nv = g.values.size(), nn = g.nodes.size();
    plan.kind.assign(nn, NodeKind::kDevice);
    plan.counted.assign(nn, 0);
    plan.hostValue.assign(nv, 0);
    plan.readback.assign(nv, 0);
    plan.upload.assign(nv, 0);
    plan.hasData.assign(nv, 0);
    plan.data.assign(nv, {});
    plan.bound.resize(nv);
    for (size_t v = 0; v < nv; ++v) plan.bound[v] = g.values[v].shape;
    plan.controlFlow = ir::hasControlFlow(g);
    Planner pl(g, plan);
    KILN_RETURN_IF_ERROR(ir::buildSchedule(g, pl.sched));
    pl.eligible.assign(nn, 0);
    pl.eligibleValue.assign(nv, 0);
    pl.known.assign(nv, 0);
    pl.needed.assign(nv, 0);
    pl.exact.assign(nv, 0);
    for (size_t v = 0; v < nv; ++v) pl.eligibleValue[v] = g.values[v].isConstant();
    for (size_t v = 0; v < nv; ++v) pl.exact[v] = g.values[v].producer < 0 && ir::isStatic(g.values[v].shape);
    pl.forward();
    KILN_RETURN_IF_ERROR(pl.findNeeds());
    pl.decide();
    pl.finish();
    return Status::Ok();
}

}  // namespace kiln::cuda
