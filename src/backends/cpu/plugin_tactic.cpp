#include "plugin_tactic.h"

#include <mutex>

#include "ir/ops/plugin.h"

namespace kiln::cpu {

namespace {

constexpr int kCpuBackend = 0;

Status instantiate(const ir::Node& node, std::unique_ptr<ir::PluginInstance>& p) {
    ir::PluginHost* host = ir::pluginHost();
    if (!host)
        return Status::Error("plugin " + ir::describePlugin(node) +
                             " has no registered creator: no plugin is registered in this process (load the library "
                             "that provides it with loadPluginLibrary, kiln --plugins)");
    return host->instantiate(node, p);
}

// A plugin object is not assumed thread-safe, while one engine's kernels run in many
// contexts at once: each run borrows an idle clone (configured for the shapes it last
// ran) and returns it.
class PluginKernel final : public Kernel {
public:
    explicit PluginKernel(std::unique_ptr<ir::PluginInstance> first) { idle_.push_back(std::move(first)); }

    Status run(KernelArgs& args) const override {
        std::unique_ptr<ir::PluginInstance> p;
        {
            std::lock_guard<std::mutex> lock(m_);
            if (!idle_.empty()) {
                p = std::move(idle_.back());
                idle_.pop_back();
            } else {
                // A fresh clone is configured for the build's shapes first, as the first one
                // was (static-shape plugins keep that configuration).
                KILN_RETURN_IF_ERROR(prototype_->clone(p));
                KILN_RETURN_IF_ERROR(p->configure(kCpuBackend, buildIn_, buildOut_));
            }
        }
        std::vector<ir::TensorDesc> in, out;
        std::vector<void*> outPtrs;
        for (const auto& t : args.inputs) in.push_back({t.dtype, t.shape, t.data});
        for (const auto& t : args.outputs) {
            out.push_back({t.dtype, t.shape, nullptr});
            outPtrs.push_back(t.data);
        }
        Status st = p->configure(kCpuBackend, in, out);
        if (st.ok()) st = p->enqueue(in, out, outPtrs, args.workspace, nullptr);
        std::lock_guard<std::mutex> lock(m_);
        idle_.push_back(std::move(p));
        return st;
    }

    Status init(const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
        // A clone made before any configuration serves as the source of further clones.
        KILN_RETURN_IF_ERROR(idle_.back()->clone(prototype_));
        buildIn_ = in;
        buildOut_ = out;
        for (auto& t : buildIn_) t.data = nullptr;
        return idle_.back()->configure(kCpuBackend, in, out);
    }

private:
    mutable std::mutex m_;
    mutable std::vector<std::unique_ptr<ir::PluginInstance>> idle_;
    std::unique_ptr<ir::PluginInstance> prototype_;
    std::vector<ir::TensorDesc> buildIn_, buildOut_;
};

}  // namespace

// Always true: creating the kernel reports precisely what a plugin rejects, where the
// builder could only say that no tactic fits.
bool pluginSupports(const ir::Node&, const std::vector<ir::TensorDesc>&, const std::vector<ir::TensorDesc>&) {
    return true;
}

size_t pluginWorkspace(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                       const std::vector<ir::TensorDesc>& out) {
    std::unique_ptr<ir::PluginInstance> p;
    if (!instantiate(node, p).ok() || !p->supports(kCpuBackend, in, out).ok() ||
        !p->configure(kCpuBackend, in, out).ok())
        return 0;  // creating the kernel reports the problem
    return p->workspaceSize(in, out);
}

Status createPluginKernel(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                          const std::vector<ir::TensorDesc>& out, std::unique_ptr<Kernel>& kernel) {
    const std::string ctx = "plugin " + ir::describePlugin(node) + ": ";
    std::unique_ptr<ir::PluginInstance> p;
    KILN_RETURN_IF_ERROR(instantiate(node, p));
    KILN_RETURN_IF_ERROR(p->supports(kCpuBackend, in, out).withContext(ctx));
    auto k = std::make_unique<PluginKernel>(std::move(p));
    KILN_RETURN_IF_ERROR(k->init(in, out).withContext(ctx));
    kernel = std::move(k);
    return Status::Ok();
}

}  // namespace kiln::cpu
