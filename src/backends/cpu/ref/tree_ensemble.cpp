// Reference TreeEnsemble (docs/ops.md): each row walks every tree from its
// root (a NaN feature follows the true branch when the node says so), the
// reached leaves' weights are aggregated per target, then post-transformed.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ref_kernels.h"

namespace kiln::cpu::ref {

namespace {

// Inverse of erf by Newton steps from a rational first guess.
double erfInv(double y) {
    if (y <= -1) return -std::numeric_limits<double>::infinity();
    if (y >= 1) return std::numeric_limits<double>::infinity();
    // Winitzki's approximation with a = 0.147: 2 / (pi a) = 4.3307, w = -ln(1 - y^2).
    const double w = -std::log((1 - y) * (1 + y)), t = 4.3307 - w / 2;
    double x = std::copysign(std::sqrt(std::sqrt(t * t + w / 0.147) - t), y);
    for (int i = 0; i < 4; ++i) x -= (std::erf(x) - y) / (2 / std::sqrt(M_PI) * std::exp(-x * x));
    return x;
}

}  // namespace

Status treeEnsemble(KernelArgs& args) {
    const ir::Attrs& a = args.node.attrs;
    const HostTensor& x = args.inputs[0];
    HostTensor& y = args.outputs[0];
    const auto feat = a.getInts("nodes_featureids"), modes = a.getInts("nodes_modes");
    const auto tIds = a.getInts("nodes_truenodeids"), fIds = a.getInts("nodes_falsenodeids");
    const auto tLeaf = a.getInts("nodes_trueleafs"), fLeaf = a.getInts("nodes_falseleafs");
    const auto splits = a.getFloats("nodes_splits");
    const auto missing = a.getInts("nodes_missing_value_tracks_true");
    const auto leafTargets = a.getInts("leaf_targetids");
    const auto leafWeights = a.getFloats("leaf_weights");
    const auto roots = a.getInts("tree_roots");
    const auto members = a.getFloats("membership_values");
    const int64_t T = y.shape[1], N = x.shape[0], F = x.shape[1];
    const int64_t agg = a.getInt("aggregate_function", 1), post = a.getInt("post_transform", 0);
    // The member sets, in the order the member nodes appear in the node list.
    std::vector<std::vector<double>> sets(modes.size());
    for (size_t i = 0, at = 0; i < modes.size(); ++i) {
        if (modes[i] != 6) continue;
        while (at < members.size() && !std::isnan(members[at])) sets[i].push_back(members[at++]);
        ++at;  // the NaN delimiter
    }
    auto goesTrue = [&](size_t i, double v) {
        if (std::isnan(v) && !missing.empty() && missing[i]) return true;
        const double s = splits[i];
        switch (modes[i]) {
            case 0:
                return v <= s;
            case 1:
                return v < s;
            case 2:
                return v >= s;
            case 3:
                return v > s;
            case 4:
                return v == s;
            case 5:
                return v != s;
            default:
                return std::find(sets[i].begin(), sets[i].end(), v) != sets[i].end();
        }
    };
    for (int64_t n = 0; n < N; ++n) {
        const double init = agg == 2   ? std::numeric_limits<float>::max()
                            : agg == 3 ? std::numeric_limits<float>::lowest()
                                       : 0.0;
        std::vector<double> acc(size_t(T), init);
        for (int64_t root : roots) {
            // A tree that is a single leaf: both children of the root name the same leaf.
            bool leaf = tLeaf[size_t(root)] && fLeaf[size_t(root)] && tIds[size_t(root)] == fIds[size_t(root)];
            int64_t at = root;
            for (int64_t steps = 0; !leaf; ++steps) {
                if (steps > int64_t(modes.size()))
                    return Status::Error("TreeEnsemble: the tree at root " + std::to_string(root) + " has a cycle");
                const size_t i = size_t(at);
                const double v = ir::loadAsDouble(x.data, x.dtype, n * F + feat[i]);
                const bool t = goesTrue(i, v);
                leaf = t ? tLeaf[i] != 0 : fLeaf[i] != 0;
                at = t ? tIds[i] : fIds[i];
            }
            const double w = leafWeights[size_t(at)];
            double& slot = acc[size_t(leafTargets[size_t(at)])];
            if (agg == 0)
                slot += w / double(roots.size());
            else if (agg == 1)
                slot += w;
            else if (agg == 2)
                slot = std::min(slot, w);
            else
                slot = std::max(slot, w);
        }
        if (post == 1 || post == 3) {  // softmax; softmax_zero leaves zeros at 0
            double mx = -std::numeric_limits<double>::infinity(), sum = 0;
            for (double v : acc)
                if (post == 1 || v != 0) mx = std::max(mx, v);
            for (double& v : acc) {
                if (post == 3 && v == 0) continue;
                v = std::exp(v - mx);
                sum += v;
            }
            for (double& v : acc)
                if (sum > 0 && !(post == 3 && v == 0)) v /= sum;
        } else if (post == 2) {
            for (double& v : acc) v = 1 / (1 + std::exp(-v));
        } else if (post == 4) {
            for (double& v : acc) v = std::sqrt(2.0) * erfInv(2 * v - 1);
        }
        for (int64_t t = 0; t < T; ++t) ir::storeFromDouble(y.data, y.dtype, n * T + t, acc[size_t(t)]);
    }
    return Status::Ok();
}

bool treeEnsembleSupports(const ir::Node&, const std::vector<ir::TensorDesc>& in,
                          const std::vector<ir::TensorDesc>& out) {
    return in.size() == 1 && out.size() == 1 && out[0].dtype == in[0].dtype;
}

}  // namespace kiln::cpu::ref
