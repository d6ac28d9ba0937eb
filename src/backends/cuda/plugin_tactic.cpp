#include "plugin_tactic.h"

#include <mutex>

#include "ir/ops/plugin.h"

namespace kiln::cuda {

namespace {

constexpr int kCudaBackend = 1;

Status instantiate(const ir::Node& node, std::unique_ptr<ir::PluginInstance>& p) {
    ir::PluginHost* host = ir::pluginHost();
    if (!host)
        return Status::Error("plugin " + ir::describePlugin(node) +
                             " has no registered creator: no plugin is registered in this process (load the library "
                             "that provides it with loadPluginLibrary, kiln --plugins)");
    return host->instantiate(node, p);
}

// As on the CPU (backends/cpu/plugin_tactic.cpp): a plugin object is not assumed
// thread-safe, so each run borrows an idle clone. Clones are made from the first instance
// after it was configured for the build's shapes, so that device data a plugin prepared
// there (and shares between its copies) is not prepared again during a run, which may be
// a CUDA graph capture.
class PluginKernel final : public Kernel {
public:
    explicit PluginKernel(std::unique_ptr<ir::PluginInstance> first) { idle_.push_back(std::move(first)); }

    Status enqueue(LaunchArgs& args) const override {
        std::unique_ptr<ir::PluginInstance> p;
        {
            std::lock_guard<std::mutex> lock(m_);
            if (!idle_.empty()) {
                p = std::move(idle_.back());
                idle_.pop_back();
            } else {
                KILN_RETURN_IF_ERROR(prototype_->clone(p));
                KILN_RETURN_IF_ERROR(p->configure(kCudaBackend, buildIn_, buildOut_));
            }
        }
        std::vector<ir::TensorDesc> in, out;
        std::vector<void*> outPtrs;
        for (const auto& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
        for (const auto& t : args.outputs) {
            out.push_back({t.dtype, t.shape, nullptr});
            outPtrs.push_back(t.data);
        }
        Status st = p->configure(kCudaBackend, in, out);
        if (st.ok()) st = p->enqueue(in, out, outPtrs, args.workspace, args.stream);
        std::lock_guard<std::mutex> lock(m_);
        idle_.push_back(std::move(p));
        return st;
    }

    Status init(const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
        buildIn_ = in;
        buildOut_ = out;
        for (auto& t : buildIn_) t.data = nullptr;  // host values of constants: not device pointers
        KILN_RETURN_IF_ERROR(idle_.back()->configure(kCudaBackend, buildIn_, buildOut_));
        return idle_.back()->clone(prototype_);
    }

private:
    mutable std::mutex m_;
    mutable std::vector<std::unique_ptr<ir::PluginInstance>> idle_;
    std::unique_ptr<ir::PluginInstance> prototype_;
    std::vector<ir::TensorDesc> buildIn_, buildOut_;
};

}  // namespace

// Always true, as on the CPU: creating the kernel says precisely what the plugin rejects
// (a plugin without a CUDA path, a type it does not take), where the builder could only
// say that no tactic fits.
bool pluginSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) {
    return true;
}

size_t pluginWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                       const std::vector<ir::TensorDesc>& out) {
    std::unique_ptr<ir::PluginInstance> p;
    if (!instantiate(node, p).ok() || !p->supports(kCudaBackend, in, out).ok()) return 0;
    return p->workspaceSize(in, out);
}

Status createPluginKernel(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                          const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel) {
    const std::string ctx = "plugin " + ir::describePlugin(node) + ": ";
    std::unique_ptr<ir::PluginInstance> p;
    KILN_RETURN_IF_ERROR(instantiate(node, p));
    KILN_RETURN_IF_ERROR(p->supports(kCudaBackend, in, out).withContext(ctx));
    auto k = std::make_unique<PluginKernel>(std::move(p));
    KILN_RETURN_IF_ERROR(k->init(in, out).withContext(ctx));
    kernel = std::move(k);
    return Status::Ok();
}

}  // namespace kiln::cuda
