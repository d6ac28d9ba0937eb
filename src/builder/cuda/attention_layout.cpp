// The CUDA builder's attention layout pass: a FusedAttention whose Q, K and
// V are cut out of a projection's output by Reshapes, Transposes and Gathers
// (ViT's in-projection [S, B, 3·768] split into heads: five transposing
// copies per layer), and whose output is transposed back before the next
// projection, reads and writes those tensors in place instead, through the
// strided form of FusedAttention (ir/ops/fused_attention.h). The copies
// become dead. Only for engines whose one profile fixes every shape: the
// strides are those of the built shapes.
//
// Each operand is traced as a view of an earlier tensor: a list of logical
// dims, each a row-major group of (size, stride) runs of that tensor's
// elements, so a Reshape that merges runs which are not adjacent in memory
// (a head axis with a batch axis) stays exact until a later Transpose splits
// them again. The output is traced the same way backwards, from the last
// tensor of its chain of copies through their inverses.
#include <algorithm>
#include <optional>

#include "builder/pass.h"
#include "cuda_build.h"
#include "ir/op_schema.h"
#include "ir/ops/data_movement.h"
#include "ir/ops/fused_attention.h"

namespace kiln::builder {

namespace {

struct Run {
    int64_t size, stride;
};
using Dim = std::vector<Run>;  // row-major; empty: an axis of extent 1

struct View {
    int64_t offset = 0;
    std::vector<Dim> dims;
};

int64_t extent(const Dim& d) {
    int64_t n = 1;
    for (const Run& r : d) n *= r.size;
    return n;
}

View contiguous(const ir::Shape& s) {
    View v;
    v.dims.resize(s.size());
    int64_t stride = 1;
    for (size_t i = s.size(); i-- > 0;) {
        if (s[i] != 1) v.dims[i] = {{s[i], stride}};
        stride *= s[i];
    }
    return v;
}

bool permute(View& v, const std::vector<int64_t>& perm) {
    if (perm.size() != v.dims.size()) return false;
    std::vector<Dim> d(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) d[i] = v.dims[size_t(perm[i])];
    v.dims = std::move(d);
    return true;
}

// Regroups the runs, in order, into dims of the new shape, splitting a run
// where a dim boundary falls inside it; false where sizes do not divide.
bool reshape(View& v, const ir::Shape& to) {
    std::vector<Run> runs;
    for (const Dim& d : v.dims) runs.insert(runs.end(), d.begin(), d.end());
    size_t next = 0;
    std::vector<Dim> dims(to.size());
    for (size_t i = 0; i < to.size(); ++i) {
        if (to[i] < 1) return false;
        int64_t left = to[i];
        while (left > 1) {
            if (next == runs.size()) return false;
            Run& r = runs[next];
            if (left % r.size == 0) {
                dims[i].push_back(r);
                left /= r.size;
                ++next;
            } else if (r.size % left == 0) {
                dims[i].push_back({left, r.stride * (r.size / left)});  // the outer part
                r.size /= left;
                left = 1;
            } else {
                return false;
            }
        }
    }
    if (next != runs.size()) return false;
    v.dims = std::move(dims);
    return true;
}

// Index i along `axis`: the offset of that slice; the axis goes (or stays
// with extent 1 when `keep`).
void pick(View& v, size_t axis, int64_t i, bool keep) {
    Dim& d = v.dims[axis];
    for (size_t k = d.size(); k-- > 0;) {
        v.offset += (i % d[k].size) * d[k].stride;
        i /= d[k].size;
    }
    if (keep)
        d.clear();
    else
        v.dims.erase(v.dims.begin() + std::ptrdiff_t(axis));
}

// One stride per dim (runs adjacent in memory merged); nullopt where a dim
// still spans runs that are not.
std::optional<std::vector<int64_t>> strides(const View& v) {
    std::vector<int64_t> s;
    for (const Dim& d : v.dims) {
        if (d.empty()) {
            s.push_back(0);
            continue;
        }
        for (size_t k = 0; k + 1 < d.size(); ++k)
            if (d[k].stride != d[k + 1].stride * d[k + 1].size) return std::nullopt;
        s.push_back(d.back().stride);
    }
    return s;
}

std::vector<int64_t> inverse(const std::vector<int64_t>& perm) {
    std::vector<int64_t> inv(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inv[size_t(perm[i])] = int64_t(i);
    return inv;
}

// A Shuffle with static shapes on both sides, as perm1 -> reshape -> perm2.
bool shuffleParams(const ir::Graph& g, const ir::Node& n, ir::movement::ShuffleParams& p) {
    if (n.op != "Shuffle" || n.outputs.size() != 1 || n.inputs.empty() || n.inputs[0] < 0) return false;
    if (!ir::isStatic(g.values[size_t(n.inputs[0])].shape) || !ir::isStatic(g.values[size_t(n.outputs[0])].shape))
        return false;
    return ir::movement::resolveShuffle(n, ir::describeInputs(g, n), p).ok() && ir::isStatic(p.reshaped);
}

// Applies view node n (Shuffle, or a Gather of one constant index) to v.
bool applyForward(const ir::Graph& g, const ir::Node& n, View& v) {
    ir::movement::ShuffleParams p;
    if (shuffleParams(g, n, p)) return permute(v, p.perm1) && reshape(v, p.reshaped) && permute(v, p.perm2);
    if (n.op != "Gather" || n.inputs.size() != 2 || n.outputs.size() != 1) return false;
    const auto in = ir::describeInputs(g, n);
    ir::movement::GatherParams gp;
    if (!ir::movement::resolveGather(n, in, gp).ok() || gp.mode != ir::movement::GatherMode::kDefault) return false;
    const ir::TensorDesc& idx = in[1];
    std::vector<int64_t> i;
    if (!idx.data || ir::volume(idx.shape) != 1 || !ir::movement::readIntTensor(idx, 1, i).ok()) return false;
    const int64_t ext = in[0].shape[size_t(gp.axis)];
    if (i[0] < 0) i[0] += ext;
    if (i[0] < 0 || i[0] >= ext || size_t(gp.axis) >= v.dims.size()) return false;
    pick(v, size_t(gp.axis), i[0], !idx.shape.empty());
    return true;
}

// The view node n's input as a view of its output (Shuffles only).
bool applyBackward(const ir::Graph& g, const ir::Node& n, View& v) {
    ir::movement::ShuffleParams p;
    return shuffleParams(g, n, p) && permute(v, inverse(p.perm2)) && reshape(v, p.transposed) &&
           permute(v, inverse(p.perm1));
}

bool isViewOp(const ir::Node& n) { return n.op == "Shuffle" || n.op == "Gather"; }

// [B, H, S, D] strides of a view of a rank-4 operand ([B, S, D]: B = 1, H = b,
// so that a mask broadcasts as before); D must be contiguous.
std::optional<std::vector<int64_t>> headStrides(const View& v, size_t rank) {
    const auto s = strides(v);
    if (!s || s->size() != rank || s->back() != 1) return std::nullopt;
    if (rank == 4) return std::vector<int64_t>{v.offset, (*s)[0], (*s)[1], (*s)[2]};
    return std::vector<int64_t>{v.offset, 0, (*s)[0], (*s)[1]};
}

// Operand x of the attention as a view of the earliest tensor it can be
// traced to: that tensor and the view's [offset, batch, head, row].
std::pair<int, std::vector<int64_t>> traceInput(const ir::Graph& g, int x) {
    const size_t rank = g.values[size_t(x)].shape.size();
    std::vector<int> chain;  // view nodes, nearest first
    for (int v = x;;) {
        const int p = g.values[size_t(v)].producer;
        if (p < 0 || !isViewOp(g.nodes[size_t(p)]) || g.nodes[size_t(p)].inputs[0] < 0) break;
        chain.push_back(p);
        v = g.nodes[size_t(p)].inputs[0];
    }
    for (size_t start = chain.size(); start > 0; --start) {  // the farthest base first
        const int base = g.nodes[size_t(chain[start - 1])].inputs[0];
        if (g.values[size_t(base)].dtype != g.values[size_t(x)].dtype || !ir::isStatic(g.values[size_t(base)].shape))
            continue;
        View v = contiguous(g.values[size_t(base)].shape);
        bool ok = true;
        for (size_t k = start; ok && k-- > 0;) ok = applyForward(g, g.nodes[size_t(chain[k])], v);
        if (!ok) continue;
        if (auto s = headStrides(v, rank)) return {base, *s};
    }
    return {-1, {}};
}

// The attention's output y written straight into the last tensor of the chain
// of copies only it reads: that tensor, the view's strides, the chain's nodes.
struct OutputTrace {
    int z = -1;
    std::vector<int64_t> view;
    std::vector<int> nodes;
};

OutputTrace traceOutput(const ir::Graph& g, const std::vector<std::vector<int>>& consumers, int y) {
    const size_t rank = g.values[size_t(y)].shape.size();
    std::vector<int> chain;  // nearest first
    for (int v = y;;) {
        const int c = soleConsumer(g, consumers, v);
        if (c < 0 || g.nodes[size_t(c)].op != "Shuffle" || g.nodes[size_t(c)].inputs[0] != v) break;
        chain.push_back(c);
        v = g.nodes[size_t(c)].outputs[0];
    }
    for (size_t end = chain.size(); end > 0; --end) {  // the farthest tensor first
        const int z = g.nodes[size_t(chain[end - 1])].outputs[0];
        View v = contiguous(g.values[size_t(z)].shape);
        bool ok = true;
        for (size_t k = end; ok && k-- > 0;) ok = applyBackward(g, g.nodes[size_t(chain[k])], v);
        if (!ok) continue;
        if (auto s = headStrides(v, rank))
            return {z, *s, std::vector<int>(chain.begin(), chain.begin() + std::ptrdiff_t(end))};
    }
    return {};
}

}  // namespace

Status layOutAttention(ir::Graph& g, const LogFn& log) {
    int rewritten = 0, copies = 0;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (n.dead || n.op != "FusedAttention" || n.attrs.has("view_dims") || n.attrs.getInt("trans_k", 0) == 0)
            continue;
        const auto in = ir::describeInputs(g, n);
        const size_t rank = in[0].shape.size();
        if ((rank != 3 && rank != 4) || in[1].shape.size() != rank || in[2].shape.size() != rank) continue;
        ir::AttentionLayout l;
        if (!ir::attentionLayout(n, in, l).ok() || l.Dv != l.D) continue;
        bool fixed = true;
        for (const auto& d : in) fixed = fixed && ir::isStatic(d.shape);
        if (!fixed) continue;
        const auto consumers = g.consumers();
        ir::Node s = n;
        std::vector<int64_t> views[3];
        for (size_t k = 0; k < 3; ++k) {
            auto [base, view] = traceInput(g, n.inputs[k]);
            if (base < 0) {
                base = n.inputs[k];
                view = *headStrides(contiguous(in[k].shape), rank);
            }
            s.inputs[k] = base;
            views[k] = view;
        }
        OutputTrace out = traceOutput(g, consumers, n.outputs[0]);
        if (out.z < 0) out = {n.outputs[0], *headStrides(contiguous(g.values[size_t(n.outputs[0])].shape), rank), {}};
        if (s.inputs[0] == n.inputs[0] && s.inputs[1] == n.inputs[1] && s.inputs[2] == n.inputs[2] && out.nodes.empty())
            continue;  // nothing to save
        const int64_t b = rank == 4 ? in[0].shape[0] : 1, h = in[0].shape[rank == 4 ? 1 : 0];
        s.attrs.set("view_dims", std::vector<int64_t>{b, h, l.Sq, l.Sk, l.D});
        s.attrs.set("q_view", views[0]);
        s.attrs.set("k_view", views[1]);
        s.attrs.set("v_view", views[2]);
        s.attrs.set("y_view", out.view);
        s.attrs.set("y_shape", g.values[size_t(out.z)].shape);
        s.outputs = {out.z};
        // Kept only where shape inference and the kernel take it as it is.
        std::vector<ir::TensorDesc> sin = ir::describeInputs(g, s), sout(1);
        if (!ir::inferNode(s, sin, sout).ok() || sout[0].shape != g.values[size_t(out.z)].shape ||
            sout[0].dtype != g.values[size_t(out.z)].dtype || !anyCudaTactic(s, sin, sout))
            continue;
        for (int c : out.nodes) g.nodes[size_t(c)].dead = true;
        copies += int(out.nodes.size());
        g.nodes[i] = std::move(s);  // producers are set again by compact() below
        ++rewritten;
    }
    if (!rewritten) return Status::Ok();
    g.compact();
    // The input chains' copies nothing reads any more.
    bool changed = false;
    KILN_RETURN_IF_ERROR(makeDeadLayerElimination()->run(g, changed));
    log(kLogVerbose, "CUDA attention layout: " + std::to_string(rewritten) +
                         " FusedAttention(s) read their heads in place; " + std::to_string(copies) +
                         " output copies removed");
    return Status::Ok();
}

}  // namespace kiln::builder
