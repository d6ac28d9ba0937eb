// The CUDA builder's attention layout pass: a FusedAttention whose Q, K and
// V are cut out of a projection's output by Reshapes, Transposes and Gathers
// (ViT's in-projection [S, B, 3·768] split into heads: five transposing
// copies per layer), and whose output is transposed back before the next
// projection, reads and writes those tensors in place instead, through the
// strided form of FusedAttention (ir/ops/fused_attention.h). The copies
// become dead. Engines whose one profile fixes every shape get the built
// shapes' strides; with dynamic extents, the rewrite is traced again at a
// probe where each dynamic range takes a distinct prime inside it, and each
// number is written as a product of the new operands' extents (view_terms),
// checked at the max shapes, the probe and the min shapes, so that the views
// follow the run's shapes.
//
// Each operand is traced as a view of an earlier tensor: a list of logical
// dims, each a row-major group of (size, stride) runs of that tensor's
// elements, so a Reshape that merges runs which are not adjacent in memory
// (a head axis with a batch axis) stays exact until a later Transpose splits
// them again. The output is traced the same way backwards, from the last
// tensor of its chain of copies through their inverses.
#include <algorithm>
#include <optional>

#include "backends/cpu/shape_eval.h"
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

// The graph's shapes and shape-tensor values at one setting of its input
// shapes (a dynamic engine's Reshapes take dims computed at run time).
struct At {
    const ir::Graph& g;
    cpu::HostValues hv;
    const ir::Shape& shape(int v) const { return hv.shapes[size_t(v)]; }
    std::vector<ir::TensorDesc> inputs(const ir::Node& n) const {
        std::vector<ir::TensorDesc> in;
        for (int v : n.inputs)
            in.push_back(v < 0 ? ir::TensorDesc{}
                               : ir::TensorDesc{g.values[size_t(v)].dtype, shape(v), hv.data[size_t(v)]});
        return in;
    }
};

// A Shuffle with static shapes on both sides, as perm1 -> reshape -> perm2.
bool shuffleParams(const At& at, const ir::Node& n, ir::movement::ShuffleParams& p) {
    if (n.op != "Shuffle" || n.outputs.size() != 1 || n.inputs.empty() || n.inputs[0] < 0) return false;
    if (!ir::isStatic(at.shape(n.inputs[0])) || !ir::isStatic(at.shape(n.outputs[0]))) return false;
    return ir::movement::resolveShuffle(n, at.inputs(n), p).ok() && ir::isStatic(p.reshaped);
}

// Applies view node n (Shuffle, or a Gather of one constant index) to v.
bool applyForward(const At& at, const ir::Node& n, View& v) {
    ir::movement::ShuffleParams p;
    if (shuffleParams(at, n, p)) return permute(v, p.perm1) && reshape(v, p.reshaped) && permute(v, p.perm2);
    if (n.op != "Gather" || n.inputs.size() != 2 || n.outputs.size() != 1) return false;
    const auto in = at.inputs(n);
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
bool applyBackward(const At& at, const ir::Node& n, View& v) {
    ir::movement::ShuffleParams p;
    return shuffleParams(at, n, p) && permute(v, inverse(p.perm2)) && reshape(v, p.transposed) &&
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
std::pair<int, std::vector<int64_t>> traceInput(const At& at, int x) {
    const ir::Graph& g = at.g;
    const size_t rank = at.shape(x).size();
    std::vector<int> chain;  // view nodes, nearest first
    for (int v = x;;) {
        const int p = g.values[size_t(v)].producer;
        if (p < 0 || !isViewOp(g.nodes[size_t(p)]) || g.nodes[size_t(p)].inputs[0] < 0) break;
        chain.push_back(p);
        v = g.nodes[size_t(p)].inputs[0];
    }
    for (size_t start = chain.size(); start > 0; --start) {  // the farthest base first
        const int base = g.nodes[size_t(chain[start - 1])].inputs[0];
        if (g.values[size_t(base)].dtype != g.values[size_t(x)].dtype || !ir::isStatic(at.shape(base))) continue;
        View v = contiguous(at.shape(base));
        bool ok = true;
        for (size_t k = start; ok && k-- > 0;) ok = applyForward(at, g.nodes[size_t(chain[k])], v);
        if (!ok) continue;
        if (auto s = headStrides(v, rank)) return {base, *s};
    }
    return {x, *headStrides(contiguous(at.shape(x)), rank)};  // read as it is
}

// The attention's output y written straight into the last tensor of the chain
// of copies only it reads: that tensor, the view's strides, the chain's nodes.
struct OutputTrace {
    int z = -1;
    std::vector<int64_t> view;
    std::vector<int> nodes;
};

OutputTrace traceOutput(const At& at, const std::vector<std::vector<int>>& consumers, int y) {
    const ir::Graph& g = at.g;
    const size_t rank = at.shape(y).size();
    std::vector<int> chain;  // nearest first
    for (int v = y;;) {
        const int c = soleConsumer(g, consumers, v);
        if (c < 0 || g.nodes[size_t(c)].op != "Shuffle" || g.nodes[size_t(c)].inputs[0] != v) break;
        chain.push_back(c);
        v = g.nodes[size_t(c)].outputs[0];
    }
    for (size_t end = chain.size(); end > 0; --end) {  // the farthest tensor first
        const int z = g.nodes[size_t(chain[end - 1])].outputs[0];
        View v = contiguous(at.shape(z));
        bool ok = true;
        for (size_t k = end; ok && k-- > 0;) ok = applyBackward(at, g.nodes[size_t(chain[k])], v);
        if (!ok) continue;
        if (auto s = headStrides(v, rank))
            return {z, *s, std::vector<int>(chain.begin(), chain.begin() + std::ptrdiff_t(end))};
    }
    return {y, *headStrides(contiguous(at.shape(y)), rank), {}};  // written as it is
}

// One attention's rewrite at one setting of the input shapes: its new
// inputs and output, the nodes it replaces, and its numbers in the order of
// the strided form (fused_attention.cpp): view_dims, the four views, y_shape.
struct Rewrite {
    int bases[3] = {-1, -1, -1};
    OutputTrace out;
    std::vector<int64_t> numbers;
};

bool plan(const At& at, const std::vector<std::vector<int>>& consumers, const ir::Node& n, Rewrite& r) {
    const auto in = at.inputs(n);
    const size_t rank = in[0].shape.size();
    if ((rank != 3 && rank != 4) || in[1].shape.size() != rank || in[2].shape.size() != rank) return false;
    for (const auto& d : in)
        if (!ir::isStatic(d.shape)) return false;
    ir::AttentionLayout l;
    if (!ir::attentionLayout(n, in, l).ok() || l.Dv != l.D) return false;
    std::vector<int64_t> views;
    for (size_t k = 0; k < 3; ++k) {
        auto [base, view] = traceInput(at, n.inputs[k]);
        r.bases[k] = base;
        views.insert(views.end(), view.begin(), view.end());
    }
    r.out = traceOutput(at, consumers, n.outputs[0]);
    const int64_t b = rank == 4 ? in[0].shape[0] : 1, h = in[0].shape[rank == 4 ? 1 : 0];
    r.numbers = {b, h, l.Sq, l.Sk, l.D};
    r.numbers.insert(r.numbers.end(), views.begin(), views.end());
    r.numbers.insert(r.numbers.end(), r.out.view.begin(), r.out.view.end());
    const ir::Shape& zs = at.shape(r.out.z);
    r.numbers.insert(r.numbers.end(), zs.begin(), zs.end());
    // Nothing to save when every operand is read, and the output written, as it is.
    return !(r.bases[0] == n.inputs[0] && r.bases[1] == n.inputs[1] && r.bases[2] == n.inputs[2] &&
             r.out.nodes.empty());
}

// A dynamic extent of the inputs: its value at the profile's max and the
// prime it takes in the probe. Extents with one range (min, max) take one
// prime: BERT's input_ids and attention_mask share their batch and sequence.
struct Probe {
    int64_t max, prime;
};

// view_terms for numbers seen at the max shapes and at the probe. A number
// describes one operand (view_dims' B, H, Sq, D and Y: Q; Sk: K; each view:
// its own), so its factors are that operand's extents: c times those whose
// primes divide its probe value, checked against its value at the max
// shapes. False where a prime is no extent of that operand, or two.
bool terms(const At& atMax, const At& atProbe, const Rewrite& r, const Rewrite& rp, const std::vector<Probe>& probes,
           size_t yRank, std::vector<int64_t>& out) {
    if (r.numbers.size() != rp.numbers.size()) return false;
    out = {int64_t(yRank)};
    for (size_t i = 0; i < r.numbers.size(); ++i) {
        const int t = i == 3 ? 1 : (i >= 5 && i < 17) ? int(i - 5) / 4 : 0;  // the operand the number describes
        const ir::Shape &baseMax = atMax.shape(r.bases[t]), &baseProbe = atProbe.shape(r.bases[t]);
        int64_t c = rp.numbers[i];
        __int128 expect = 1;
        std::vector<int64_t> factors;
        for (const Probe& p : probes)
            while (c != 0 && c % p.prime == 0) {
                int axis = -1, seen = 0;
                for (size_t a = 0; a < baseProbe.size() && a < baseMax.size(); ++a)
                    if (baseProbe[a] == p.prime && baseMax[a] == p.max) axis = int(a), ++seen;
                if (seen != 1) return false;
                c /= p.prime;
                expect *= p.max;
                factors.insert(factors.end(), {int64_t(t), int64_t(axis)});
            }
        if (c < 0 || expect * c != r.numbers[i]) return false;
        out.insert(out.end(), {c, int64_t(factors.size() / 2)});
        out.insert(out.end(), factors.begin(), factors.end());
    }
    return true;
}

// Whether numbers `a` traced at some shapes equal `b` where they matter: a
// view's stride along an axis of extent 1 (batch 1, say) is never used.
bool sameNumbers(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    if (a.size() != b.size() || a.size() < 21) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (i >= 5 && i < 21 && (i - 5) % 4 != 0) {  // a stride: batch, head or row of view (i - 5) / 4
            const size_t view = (i - 5) / 4, which = (i - 5) % 4;
            const int64_t extent = which == 1 ? a[0] : which == 2 ? a[1] : (view == 1 || view == 2) ? a[3] : a[2];
            if (extent == 1) continue;
        }
        if (a[i] != b[i]) return false;
    }
    return true;
}

bool isPrime(int64_t n) {
    if (n < 2) return false;
    for (int64_t d = 2; d * d <= n; ++d)
        if (n % d == 0) return false;
    return true;
}

}  // namespace

Status layOutAttention(ir::Graph& g, const std::vector<ir::Shape>& minShapes, const LogFn& log) {
    std::vector<ir::Shape> maxShapes, probeShapes;
    for (int v : g.inputs) maxShapes.push_back(g.values[size_t(v)].shape);
    // Each dynamic range takes a distinct prime inside it in the probe (the
    // largest below its max: a model may refuse extents past the max, as
    // BERT's position table does), so that each number's factors say which
    // extents it grows with. A range with no free prime leaves the graph as it is.
    std::vector<Probe> probes;
    std::vector<std::pair<int64_t, int64_t>> ranges;  // (min, max) of each probe
    probeShapes = maxShapes;
    for (size_t i = 0; i < minShapes.size() && i < maxShapes.size(); ++i)
        for (size_t d = 0; d < maxShapes[i].size() && d < minShapes[i].size(); ++d) {
            if (minShapes[i][d] == maxShapes[i][d]) continue;
            const std::pair<int64_t, int64_t> range{minShapes[i][d], maxShapes[i][d]};
            size_t k = std::find(ranges.begin(), ranges.end(), range) - ranges.begin();
            if (k == ranges.size()) {
                int64_t p = range.second - 1;
                auto taken = [&](int64_t q) {
                    return std::any_of(probes.begin(), probes.end(), [&](const Probe& o) { return o.prime == q; });
                };
                while (p >= std::max<int64_t>(range.first, 3) && (!isPrime(p) || taken(p))) --p;
                if (p < std::max<int64_t>(range.first, 3)) return Status::Ok();
                ranges.push_back(range);
                probes.push_back({range.second, p});
            }
            probeShapes[i][d] = probes[k].prime;
        }
    const At atMax{g, cpu::evaluateHostValues(g, maxShapes)};
    std::optional<At> atProbe, atMin;
    if (!probes.empty()) {
        atProbe.emplace(At{g, cpu::evaluateHostValues(g, probeShapes)});
        atMin.emplace(At{g, cpu::evaluateHostValues(g, minShapes)});
    }
    int rewritten = 0, copies = 0;
    const auto consumers = g.consumers();
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (n.dead || n.op != "FusedAttention" || ir::isStridedAttention(n) || n.attrs.getInt("trans_k", 0) == 0)
            continue;
        Rewrite r;
        if (!plan(atMax, consumers, n, r)) continue;
        ir::Node s = n;
        for (size_t k = 0; k < 3; ++k) s.inputs[k] = r.bases[k];
        s.outputs = {r.out.z};
        const size_t yRank = atMax.shape(r.out.z).size();
        if (!atProbe) {
            const auto& x = r.numbers;
            s.attrs.set("view_dims", std::vector<int64_t>(x.begin(), x.begin() + 5));
            const char* views[] = {"q_view", "k_view", "v_view", "y_view"};
            for (size_t k = 0; k < 4; ++k)
                s.attrs.set(views[k], std::vector<int64_t>(x.begin() + std::ptrdiff_t(5 + 4 * k),
                                                           x.begin() + std::ptrdiff_t(9 + 4 * k)));
            s.attrs.set("y_shape", std::vector<int64_t>(x.begin() + 21, x.end()));
        } else {
            // The same rewrite at the probe, its numbers as products of the new operands' extents.
            Rewrite rp;
            if (!plan(*atProbe, consumers, n, rp) || rp.out.z != r.out.z || rp.out.nodes != r.out.nodes ||
                !std::equal(std::begin(r.bases), std::end(r.bases), std::begin(rp.bases)))
                continue;
            std::vector<int64_t> t;
            if (!terms(atMax, *atProbe, r, rp, probes, yRank, t)) continue;
            s.attrs.set("view_terms", t);
            // Checked at a third setting: the terms must give the numbers traced at the min shapes.
            Rewrite rm;
            std::vector<int64_t> atMinNumbers;
            size_t minRank = 0;
            if (!plan(*atMin, consumers, n, rm) || rm.out.z != r.out.z || rm.out.nodes != r.out.nodes ||
                !std::equal(std::begin(r.bases), std::end(r.bases), std::begin(rm.bases)) ||
                !ir::stridedAttentionNumbers(s, atMin->inputs(s), atMinNumbers, minRank).ok() ||
                !sameNumbers(rm.numbers, atMinNumbers))
                continue;
        }
        // Kept only where shape inference and the kernel take it as it is, at the max shapes.
        std::vector<ir::TensorDesc> sin = atMax.inputs(s), sout(1);
        if (!ir::inferNode(s, sin, sout).ok() || sout[0].shape != atMax.shape(r.out.z) ||
            sout[0].dtype != g.values[size_t(r.out.z)].dtype || !anyCudaTactic(s, sin, sout))
            continue;
        for (int c : r.out.nodes) g.nodes[size_t(c)].dead = true;
        copies += int(r.out.nodes.size());
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
