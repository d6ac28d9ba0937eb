// Folds a per-channel or uniform Scale layer (how batch normalization is
// expressed) into the Convolution or FullyConnected layer before it:
// W'[m] = W[m] * scale[m], b'[m] = b[m] * scale[m] + shift[m].
#include "../pass.h"
#include "ir/ops/fully_connected.h"

namespace kiln::builder {
namespace {

bool constantF32(const ir::Graph& g, int v) {
    return v >= 0 && g.values[size_t(v)].isConstant() && g.values[size_t(v)].dtype == ir::DType::kF32;
}

// Coefficient for output channel m: per-channel or uniform, `dflt` if absent.
double coeff(const std::vector<double>& c, int64_t m, double dflt) {
    if (c.empty()) return dflt;
    return c.size() == 1 ? c[0] : c[size_t(m)];
}

class ScaleFolding final : public Pass {
public:
    const char* name() const override { return "scale-folding"; }
    Status run(ir::Graph& g, bool& changed) override {
        const auto consumers = g.consumers();
        for (auto& s : g.nodes) {
            if (s.dead || s.op != "Scale") continue;
            const std::string mode = s.attrs.getString("mode", "uniform");
            const int x = s.inputs[0];
            const int p = g.values[size_t(x)].producer;
            if (p < 0 || consumers[size_t(x)].size() != 1 || g.isGraphOutput(x)) continue;
            ir::Node& prod = g.nodes[size_t(p)];
            if (prod.op != "Convolution" && prod.op != "FullyConnected") continue;
            if (ir::fcHasEpilogue(prod)) continue;  // a scale after the residual or activation
            if (mode == "elementwise") continue;
            if (mode == "channel" && s.attrs.getInt("channel_axis", 1) != 1) continue;
            const int shiftV = s.inputs.size() > 1 ? s.inputs[1] : -1;
            const int scaleV = s.inputs.size() > 2 ? s.inputs[2] : -1;
            const int powerV = s.inputs.size() > 3 ? s.inputs[3] : -1;
            if (powerV >= 0) {
                if (!constantF32(g, powerV)) continue;
                bool ones = true;
                for (double v : ir::constantAsDoubles(g.values[size_t(powerV)])) ones &= v == 1.0;
                if (!ones) continue;
            }
            if ((shiftV >= 0 && !constantF32(g, shiftV)) || (scaleV >= 0 && !constantF32(g, scaleV))) continue;
            const int wV = prod.inputs[1];
            const int bV = prod.inputs.size() > 2 ? prod.inputs[2] : -1;
            if (!constantF32(g, wV) || (bV >= 0 && !constantF32(g, bV))) continue;

            const auto shift = shiftV >= 0 ? ir::constantAsDoubles(g.values[size_t(shiftV)]) : std::vector<double>{};
            const auto scale = scaleV >= 0 ? ir::constantAsDoubles(g.values[size_t(scaleV)]) : std::vector<double>{};
            const ir::Value& wv = g.values[size_t(wV)];
            const int64_t m = wv.shape[0];
            if ((shift.size() > 1 && int64_t(shift.size()) != m) || (scale.size() > 1 && int64_t(scale.size()) != m))
                continue;
            const int64_t per = ir::volume(wv.shape) / m;
            auto w = std::make_shared<ir::Bytes>(*wv.data);
            float* wp = reinterpret_cast<float*>(w->data());
            auto b = std::make_shared<ir::Bytes>(size_t(m) * 4);
            float* bp = reinterpret_cast<float*>(b->data());
            const auto oldBias = bV >= 0 ? ir::constantAsDoubles(g.values[size_t(bV)]) : std::vector<double>{};
            for (int64_t c = 0; c < m; ++c) {
                const double sc = coeff(scale, c, 1.0), sh = coeff(shift, c, 0.0);
                for (int64_t i = 0; i < per; ++i) wp[c * per + i] = float(wp[c * per + i] * sc);
                bp[c] = float((oldBias.empty() ? 0.0 : oldBias[size_t(c)]) * sc + sh);
            }
            const int newW = g.addConstant(g.uniqueName(prod.name + "_folded_kernel"), ir::DType::kF32, wv.shape, w);
            const int newB = g.addConstant(g.uniqueName(prod.name + "_folded_bias"), ir::DType::kF32, {m}, b);
            ir::Node& producer = g.nodes[size_t(p)];  // addConstant may not move nodes, but be explicit
            producer.inputs[1] = newW;
            if (producer.inputs.size() < 3) producer.inputs.resize(3, -1);
            producer.inputs[2] = newB;
            // The Scale's output now comes straight from the producer.
            const int out = s.outputs[0];
            producer.outputs[0] = out;
            g.values[size_t(out)].producer = p;
            s.dead = true;
            changed = true;
        }
        if (changed) g.compact();
        return Status::Ok();
    }
};

}  // namespace

std::unique_ptr<Pass> makeScaleFolding() { return std::make_unique<ScaleFolding>(); }

}  // namespace kiln::builder
