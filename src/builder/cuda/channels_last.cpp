// The CUDA builder's layout choice: cuDNN's tensor-core convolutions read and
// write NHWC; given NCHW they transpose on every call. So 16-bit 2-D
// convolutions whose channel counts suit tensor cores (multiples of 8) store
// their activations channels-last (attribute channels_last, see
// ir/ops/channels_last.h), and so do the Pooling and pointwise layers fed only
// by channels-last tensors. A transpose (Shuffle) is inserted where an NCHW
// tensor enters such a region and where a channels-last tensor leaves it, once
// per tensor. Convolution weights are transposed once, here.
#include <algorithm>
#include <cstring>
#include <map>

#include "cuda_build.h"
#include "ir/op_schema.h"
#include "ir/ops/channels_last.h"

namespace kiln::builder {

namespace {

bool tensorCoreType(ir::DType t) { return t == ir::DType::kF16 || t == ir::DType::kBF16; }

// Ops computed element by element on same-shape operands: any layout will do.
bool layoutFree(const ir::Node& n) {
    return n.op == "Activation" || n.op == "Unary" || n.op == "ElementWise" || n.op == "Identity";
}

// KCRS -> KRSC (the same rotation as an activation's NCHW -> NHWC).
ir::ConstData rotateWeights(const ir::Value& w) {
    const ir::Shape& s = w.shape;
    const size_t elem = ir::dtypeSize(w.dtype);
    const int64_t K = s[0], C = s[1], RS = ir::volume(s) / std::max<int64_t>(K * C, 1);
    auto out = std::make_shared<ir::Bytes>(w.data->size());
    const uint8_t* src = w.data->data();
    for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t p = 0; p < RS; ++p)
                std::memcpy(out->data() + size_t((k * RS + p) * C + c) * elem,
                            src + size_t((k * C + c) * RS + p) * elem, elem);
    return out;
}

// [.., C] -> [.., to] with zeros after each row's C elements; `shape` follows.
ir::ConstData padInnermost(const ir::Bytes& data, ir::Shape& shape, int64_t to, size_t elem) {
    const int64_t C = shape.back(), rows = C > 0 ? int64_t(data.size() / elem) / C : 0;
    auto out = std::make_shared<ir::Bytes>(size_t(rows * to) * elem, 0);
    for (int64_t r = 0; r < rows; ++r)
        std::memcpy(out->data() + size_t(r * to) * elem, data.data() + size_t(r * C) * elem, size_t(C) * elem);
    shape.back() = to;
    return out;
}

class ChannelsLast {
public:
    ChannelsLast(ir::Graph& g, const LogFn& log) : g_(g), log_(log) {}

    Status run() {
        const size_t count = g_.nodes.size();
        for (size_t i = 0; i < count; ++i) {
            if (g_.nodes[i].dead) continue;
            if (g_.nodes[i].op == "Convolution" || g_.nodes[i].op == "FusedConvolution")
                tryConvolution(int(i));
            else if (g_.nodes[i].op == "Pooling")
                tryFollower(int(i), {0});
            else if (layoutFree(g_.nodes[i]))
                tryFollower(int(i), {});
            else if (g_.nodes[i].op == "Reduce")
                tryReduce(int(i));
        }
        if (converted_ == 0) return Status::Ok();
        KILN_RETURN_IF_ERROR(restoreChannelsFirst());
        log_(kLogVerbose, "CUDA channels-last: " + std::to_string(converted_) + " layer(s) store NHWC, " +
                              std::to_string(transposes_) + " transpose(s) inserted");
        return Status::Ok();
    }

private:
    // The channels-last twin of value v (made by a transpose when v is channels-first).
    int lastOf(int v) {
        auto it = last_.find(v);
        if (it != last_.end()) return it->second;
        const ir::Value val = g_.values[size_t(v)];
        const int node = g_.addNode("Shuffle", g_.uniqueName(val.name + "_to_nhwc"), {v}, 1);
        g_.nodes[size_t(node)].attrs.set("perm1", std::vector<int64_t>{0, 2, 3, 1});
        const int out = g_.nodes[size_t(node)].outputs[0];
        g_.values[size_t(out)].dtype = val.dtype;
        g_.values[size_t(out)].shape = ir::channelsLastShape(val.shape);
        ++transposes_;
        last_[v] = out;
        return out;
    }

    // A channels-last tensor with its channels zero-padded to 8 (a Pad layer, made once per tensor).
    int padChannels(int v) {
        auto it = padded_.find(v);
        if (it != padded_.end()) return it->second;
        const ir::Value val = g_.values[size_t(v)];
        const int node = g_.addNode("Pad", g_.uniqueName(val.name + "_pad8"), {v}, 1);
        ir::Attrs& a = g_.nodes[size_t(node)].attrs;
        a.set("pads_begin", std::vector<int64_t>{0, 0, 0, 0});
        a.set("pads_end", std::vector<int64_t>{0, 0, 0, 8 - val.shape[3]});
        a.set("mode", std::string("constant"));
        const int out = g_.nodes[size_t(node)].outputs[0];
        g_.values[size_t(out)].dtype = val.dtype;
        g_.values[size_t(out)].shape = {val.shape[0], val.shape[1], val.shape[2], 8};
        padded_[v] = out;
        return out;
    }

    // Moves node i's outputs to fresh channels-last values; the original values
    // are produced again by a transpose at the end if anything still reads them.
    void moveOutputs(int i) {
        for (int& v : g_.nodes[size_t(i)].outputs) {
            const ir::Value val = g_.values[size_t(v)];
            const int cl = g_.addValue(g_.uniqueName(val.name + "_nhwc"), val.dtype, ir::channelsLastShape(val.shape));
            g_.values[size_t(cl)].producer = i;
            g_.values[size_t(v)].producer = -1;
            last_[v] = cl;
            moved_.push_back(v);
            v = cl;
        }
        ++converted_;
    }

    void tryConvolution(int i) {
        // Copies: adding layers and values below may move the graph's vectors.
        const ir::Node n = g_.nodes[size_t(i)];
        const auto in = ir::describeInputs(g_, n), out = ir::describeOutputs(g_, n);
        if (in.size() < 2 || in[0].shape.size() != 4 || !ir::isStatic(in[0].shape) || !tensorCoreType(in[0].dtype))
            return;
        const ir::Value w = g_.values[size_t(n.inputs[1])];
        if (!w.isConstant() || w.shape.size() != 4 || w.shape[0] % 8 != 0) return;
        // A few input channels (an image's 3) are zero-padded to 8, X and W alike,
        // so that the first convolution also runs on tensor cores.
        const int64_t C = in[0].shape[1];
        const bool padC = C % 8 != 0 && C < 8 && n.attrs.getInt("group", 1) == 1;
        if (C % 8 != 0 && !padC) return;
        // Would a CUDA tactic take it channels-last?
        ir::Node trial = n;
        trial.attrs.set("channels_last", int64_t(1));
        auto tin = in, tout = out;
        tin[0].shape = ir::channelsLastShape(in[0].shape);
        tin[1].shape = ir::channelsLastShape(in[1].shape);
        if (padC) tin[0].shape[3] = tin[1].shape[3] = 8;
        tin[1].data = nullptr;
        if (tin.size() > 3 && n.inputs[3] >= 0) tin[3].shape = ir::channelsLastShape(in[3].shape);
        for (auto& o : tout) o.shape = ir::channelsLastShape(o.shape);
        if (!anyCudaTactic(trial, tin, tout)) return;

        int x = lastOf(n.inputs[0]);
        if (padC) x = padChannels(x);
        const int z = n.inputs.size() > 3 && n.inputs[3] >= 0 ? lastOf(n.inputs[3]) : -1;
        ir::Shape wShape = ir::channelsLastShape(w.shape);
        ir::ConstData wData = rotateWeights(w);
        if (padC) wData = padInnermost(*wData, wShape, 8, ir::dtypeSize(w.dtype));
        const int rotated = g_.addConstant(g_.uniqueName(w.name + "_krsc"), w.dtype, wShape, wData);
        ir::Node& node = g_.nodes[size_t(i)];  // addNode/addConstant may have moved the vector's storage
        node.attrs.set("channels_last", int64_t(1));
        node.inputs[0] = x;
        node.inputs[1] = rotated;
        if (z >= 0) node.inputs[3] = z;
        moveOutputs(i);
    }

    // A Pooling (inputs `permuted`) or layout-free node follows when every
    // non-constant input is a channels-last tensor of the output's shape.
    void tryFollower(int i, std::vector<size_t> permuted) {
        const ir::Node& n = g_.nodes[size_t(i)];
        if (n.outputs.size() != 1) return;
        const ir::Shape outShape = g_.values[size_t(n.outputs[0])].shape;
        std::vector<int> twins;
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            const int v = n.inputs[k];
            if (v < 0) continue;
            auto it = last_.find(v);
            if (it == last_.end() || g_.values[size_t(v)].shape.size() != 4) return;
            if (permuted.empty() && g_.values[size_t(v)].shape != outShape) return;  // no broadcasting
            twins.push_back(it->second);
        }
        if (twins.empty()) return;
        ir::Node trial = n;
        if (!permuted.empty()) trial.attrs.set("channels_last", int64_t(1));
        auto in = ir::describeInputs(g_, n), out = ir::describeOutputs(g_, n);
        for (auto& d : in) d.shape = ir::channelsLastShape(d.shape);
        for (auto& d : out) d.shape = ir::channelsLastShape(d.shape);
        if (!anyCudaTactic(trial, in, out)) return;
        ir::Node& node = g_.nodes[size_t(i)];
        node.attrs = trial.attrs;
        size_t t = 0;
        for (int& v : node.inputs)
            if (v >= 0) v = twins[t++];
        moveOutputs(i);
    }

    // A Reduce of a channels-last tensor that keeps its dims (global average
    // pooling) reduces the same axes at their channels-last positions.
    void tryReduce(int i) {
        const ir::Node& n = g_.nodes[size_t(i)];
        if (n.inputs.size() != 1 || n.outputs.size() != 1 || !n.attrs.has("axes") || n.attrs.getInt("keepdims", 1) == 0)
            return;
        auto it = last_.find(n.inputs[0]);
        if (it == last_.end() || g_.values[size_t(n.inputs[0])].shape.size() != 4) return;
        static const int64_t kPos[4] = {0, 3, 1, 2};  // NCHW axis -> its NHWC position
        std::vector<int64_t> axes;
        for (int64_t a : n.attrs.getInts("axes")) {
            if (!ir::normalizeAxis(a, 4)) return;
            axes.push_back(kPos[a]);
        }
        std::sort(axes.begin(), axes.end());
        ir::Node trial = n;
        trial.attrs.set("axes", axes);
        auto in = ir::describeInputs(g_, n), out = ir::describeOutputs(g_, n);
        in[0].shape = ir::channelsLastShape(in[0].shape);
        out[0].shape = ir::channelsLastShape(out[0].shape);
        if (!anyCudaTactic(trial, in, out)) return;
        ir::Node& node = g_.nodes[size_t(i)];
        node.attrs = trial.attrs;
        node.inputs[0] = it->second;
        moveOutputs(i);
    }

    // Original (channels-first) values still read by a channels-first layer
    // or marked as network outputs come back through a transpose.
    Status restoreChannelsFirst() {
        const auto consumers = g_.consumers();
        for (int v : moved_) {
            bool needed = g_.isGraphOutput(v);
            for (int c : consumers[size_t(v)]) needed |= !g_.nodes[size_t(c)].dead;
            if (!needed) continue;
            const int node =
                g_.addNode("Shuffle", g_.uniqueName(g_.values[size_t(v)].name + "_to_nchw"), {last_[v]}, 1);
            ir::Node& back = g_.nodes[size_t(node)];
            back.attrs.set("perm1", std::vector<int64_t>{0, 3, 1, 2});
            const int fresh = back.outputs[0];
            back.outputs[0] = v;  // the original value, under its own name
            g_.values[size_t(v)].producer = node;
            g_.values[size_t(fresh)].producer = -1;
            ++transposes_;
        }
        g_.compact();
        return Status::Ok();
    }

    ir::Graph& g_;
    const LogFn& log_;
    std::map<int, int> last_;    // value -> its channels-last twin
    std::map<int, int> padded_;  // channels-last value -> its channel-padded copy
    std::vector<int> moved_;     // values whose producer now writes a channels-last twin
    int converted_ = 0, transposes_ = 0;
};

}  // namespace

Status applyChannelsLast(ir::Graph& g, const LogFn& log) { return ChannelsLast(g, log).run(); }

}  // namespace kiln::builder
