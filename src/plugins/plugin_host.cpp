// The IR's PluginHost: Plugin nodes become plugin objects again (a remembered prototype,
// else the registered creator's deserializePlugin), and ir::PluginInstance adapts the
// three public plugin interfaces to what shape inference and the backends ask.
#include "plugin_host.h"

#include <deque>
#include <map>
#include <mutex>

#include "ir/ops/plugin.h"

namespace kiln::plugins {

namespace {

std::string errorOf(const IPluginV2& p) {
    const char* m = p.getErrorMessage();
    return m && *m ? std::string(": ") + m : std::string();
}

bool toDataType(ir::DType t, DataType& out) {
    if (t == ir::DType::kF64) return false;  // internal to the IR
    out = static_cast<DataType>(static_cast<int32_t>(t));
    return true;
}

Status toDims(const ir::Shape& s, Dims& d, const std::string& what) {
    if (s.size() > size_t(Dims::MAX_DIMS))
        return Status::Error(what + " has rank " + std::to_string(s.size()) + "; plugins take at most " +
                             std::to_string(Dims::MAX_DIMS));
    d = Dims{};
    d.nbDims = int32_t(s.size());
    for (size_t i = 0; i < s.size(); ++i) d.d[i] = s[i];
    return Status::Ok();
}

std::string tensorName(size_t i, size_t nIn) {
    return i < nIn ? "input " + std::to_string(i) : "output " + std::to_string(i - nIn);
}

// Eager shape expressions: an extent is its value or unknown (-1).
class Expr final : public IDimensionExpr {
public:
    explicit Expr(int64_t v) : v_(v < 0 ? -1 : v) {}
    bool isConstant() const noexcept override { return v_ >= 0; }
    int64_t getConstantValue() const noexcept override { return v_; }

private:
    int64_t v_;
};

class ExprBuilder final : public IExprBuilder {
public:
    const IDimensionExpr* constant(int64_t value) noexcept override { return make(value); }
    const IDimensionExpr* operation(DimensionOperation op, const IDimensionExpr& a,
                                    const IDimensionExpr& b) noexcept override {
        if (!a.isConstant() || !b.isConstant()) return make(-1);
        const int64_t x = a.getConstantValue(), y = b.getConstantValue();
        switch (op) {
            case DimensionOperation::kSUM:
                return make(x + y);
            case DimensionOperation::kPROD:
                return make(x * y);
            case DimensionOperation::kMAX:
                return make(x > y ? x : y);
            case DimensionOperation::kMIN:
                return make(x < y ? x : y);
            case DimensionOperation::kSUB:
                return make(x - y);
            case DimensionOperation::kEQUAL:
                return make(x == y ? 1 : 0);
            case DimensionOperation::kLESS:
                return make(x < y ? 1 : 0);
            case DimensionOperation::kFLOOR_DIV:
                return make(y > 0 ? x / y : -1);
            case DimensionOperation::kCEIL_DIV:
                return make(y > 0 ? (x + y - 1) / y : -1);
        }
        return make(-1);
    }

private:
    const IDimensionExpr* make(int64_t v) noexcept {
        try {
            return &exprs_.emplace_back(v);
        } catch (...) {
            return &unknown_;
        }
    }
    std::deque<Expr> exprs_;  // stable addresses
    Expr unknown_{-1};
};

// Shape inference of one plugin object (shared by the prototypes and the instances).
Status inferWith(IPluginV2& p, bool implicitBatch, const std::vector<ir::TensorDesc>& in,
                 std::vector<ir::TensorDesc>& out) {
    const int32_t nOut = p.getNbOutputs();
    if (nOut != int32_t(out.size()))
        return Status::Error("the plugin has " + std::to_string(nOut) + " outputs but the layer has " +
                             std::to_string(out.size()));
    const int32_t nIn = int32_t(in.size());
    std::vector<DataType> types(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        if (!toDataType(in[i].dtype, types[i]))
            return Status::Error(tensorName(i, in.size()) + " is " + std::string(ir::dtypeName(in[i].dtype)) +
                                 ", which plugins cannot take");
    }
    const PluginInterfaceKind kind = p.getInterfaceKind();
    bool inputsKnown = true;
    for (const auto& d : in) inputsKnown = inputsKnown && ir::isStatic(d.shape);
    if (kind == PluginInterfaceKind::kV2_DYNAMIC_EXT) {
        auto& dyn = static_cast<IPluginV2DynamicExt&>(p);
        ExprBuilder builder;
        std::vector<DimsExprs> exprs(in.size());
        for (size_t i = 0; i < in.size(); ++i) {
            if (in[i].shape.size() > size_t(Dims::MAX_DIMS))
                return Status::Error(tensorName(i, in.size()) + " has rank " + std::to_string(in[i].shape.size()) +
                                     "; plugins take at most " + std::to_string(Dims::MAX_DIMS));
            exprs[i].nbDims = int32_t(in[i].shape.size());
            for (size_t k = 0; k < in[i].shape.size(); ++k) exprs[i].d[k] = builder.constant(in[i].shape[k]);
        }
        for (int32_t o = 0; o < nOut; ++o) {
            const DimsExprs r = dyn.getOutputDimensions(o, exprs.data(), nIn, builder);
            if (r.nbDims < 0 || r.nbDims > Dims::MAX_DIMS)
                return Status::Error("the plugin rejected its input shapes (output " + std::to_string(o) + ")" +
                                     errorOf(p));
            ir::Shape s;
            for (int32_t k = 0; k < r.nbDims; ++k)
                s.push_back(r.d[k] && r.d[k]->isConstant() ? r.d[k]->getConstantValue() : -1);
            out[size_t(o)].shape = std::move(s);
        }
    } else {
        // Static shapes: no batch dimension in implicit-batch networks.
        const size_t drop = implicitBatch ? 1 : 0;
        std::vector<Dims> dims(in.size());
        for (size_t i = 0; i < in.size(); ++i) {
            if (in[i].shape.size() < drop) return Status::Error(tensorName(i, in.size()) + " has no batch dimension");
            KILN_RETURN_IF_ERROR(toDims(ir::Shape(in[i].shape.begin() + std::ptrdiff_t(drop), in[i].shape.end()),
                                        dims[i], tensorName(i, in.size())));
        }
        const int64_t batch = implicitBatch ? (in.empty() ? 1 : in[0].shape[0]) : 0;
        for (int32_t o = 0; o < nOut; ++o) {
            const Dims r = p.getOutputDimensions(o, dims.data(), nIn);
            if (r.nbDims < 0 || r.nbDims + int32_t(drop) > Dims::MAX_DIMS)
                return Status::Error("the plugin rejected its input shapes (output " + std::to_string(o) + ")" +
                                     errorOf(p));
            ir::Shape s;
            if (implicitBatch) s.push_back(batch);
            for (int32_t k = 0; k < r.nbDims; ++k) s.push_back(r.d[k] < 0 ? -1 : r.d[k]);
            out[size_t(o)].shape = std::move(s);
        }
    }
    for (int32_t o = 0; o < nOut; ++o) {
        DataType t = in.empty() ? DataType::kFLOAT : types[0];
        if (kind != PluginInterfaceKind::kV2) t = static_cast<IPluginV2Ext&>(p).getOutputDataType(o, types.data(), nIn);
        if (!ir::dtypeValid(int(t)) || int(t) == int(ir::DType::kF64))
            return Status::Error("the plugin gives output " + std::to_string(o) + " the invalid type " +
                                 std::to_string(int(t)));
        out[size_t(o)].dtype = ir::DType(int(t));
        out[size_t(o)].data = nullptr;
        if (inputsKnown && !ir::isStatic(out[size_t(o)].shape))
            return Status::Error("output " + std::to_string(o) + " of shape " +
                                 ir::shapeToString(out[size_t(o)].shape) +
                                 " depends on the input values; plugins with data-dependent output shapes are "
                                 "not supported");
    }
    return Status::Ok();
}

PluginTensorDesc descOf(const ir::TensorDesc& t, size_t drop) {
    PluginTensorDesc d;
    d.dims.nbDims = int32_t(t.shape.size() - drop);
    for (size_t k = drop; k < t.shape.size() && k - drop < size_t(Dims::MAX_DIMS); ++k) d.dims.d[k - drop] = t.shape[k];
    (void)toDataType(t.dtype, d.type);
    d.format = TensorFormat::kLINEAR;
    return d;
}

BackendKind backendOf(int b) { return b == 1 ? BackendKind::kCUDA : BackendKind::kCPU; }

class Instance final : public ir::PluginInstance {
public:
    Instance(std::unique_ptr<IPluginV2> p, bool implicitBatch, std::string name)
        : p_(std::move(p)), implicitBatch_(implicitBatch), name_(std::move(name)) {}
    ~Instance() override {
        if (initialized_) p_->terminate();
    }

    Status inferOutputs(const std::vector<ir::TensorDesc>& in, std::vector<ir::TensorDesc>& out) override {
        return inferWith(*p_, implicitBatch_, in, out);
    }

    Status supports(int backend, const std::vector<ir::TensorDesc>& in,
                    const std::vector<ir::TensorDesc>& out) override {
        if (!p_->supportsBackend(backendOf(backend)))
            return Status::Error(std::string("the plugin does not run on the ") + (backend == 1 ? "CUDA" : "CPU") +
                                 " backend (its supportsBackend() says so)");
        // What follows (formats, the workspace size) is asked for this backend.
        p_->setBackend(backendOf(backend));
        KILN_RETURN_IF_ERROR(checkShapesKnown(in, out));
        std::vector<PluginTensorDesc> all;
        for (const auto& t : in) all.push_back(descOf(t, drop()));
        for (const auto& t : out) all.push_back(descOf(t, drop()));
        for (size_t i = 0; i < all.size(); ++i) {
            const ir::TensorDesc& t = i < in.size() ? in[i] : out[i - in.size()];
            bool ok;
            if (dynamic())
                ok = static_cast<IPluginV2DynamicExt&>(*p_).supportsFormatCombination(
                    int32_t(i), all.data(), int32_t(in.size()), int32_t(out.size()));
            else
                ok = p_->supportsFormat(all[i].type, TensorFormat::kLINEAR);
            if (!ok)
                return Status::Error("the plugin does not take " + std::string(ir::dtypeName(t.dtype)) + " for " +
                                     tensorName(i, in.size()) + errorOf(*p_));
        }
        return Status::Ok();
    }

    Status configure(int backend, const std::vector<ir::TensorDesc>& in,
                     const std::vector<ir::TensorDesc>& out) override {
        std::vector<ir::Shape> shapes;
        for (const auto& t : in) shapes.push_back(t.shape);
        for (const auto& t : out) shapes.push_back(t.shape);
        // Static plugins are configured once, for the largest batch; dynamic ones again
        // whenever the shapes change.
        if (configured_ && (!dynamic() || shapes == configuredShapes_)) return Status::Ok();
        KILN_RETURN_IF_ERROR(checkShapesKnown(in, out));
        p_->setBackend(backendOf(backend));
        if (dynamic()) {
            std::vector<DynamicPluginTensorDesc> di, dout;
            for (const auto& t : in) di.push_back(dynDesc(t));
            for (const auto& t : out) dout.push_back(dynDesc(t));
            static_cast<IPluginV2DynamicExt&>(*p_).configurePlugin(di.data(), int32_t(di.size()), dout.data(),
                                                                   int32_t(dout.size()));
        } else {
            std::vector<Dims> din, dout;
            std::vector<DataType> tin, tout;
            for (const auto& t : in) {
                din.push_back(descOf(t, drop()).dims);
                tin.push_back(descOf(t, drop()).type);
            }
            for (const auto& t : out) {
                dout.push_back(descOf(t, drop()).dims);
                tout.push_back(descOf(t, drop()).type);
            }
            const int32_t maxBatch = int32_t(batchOf(in, out));
            if (p_->getInterfaceKind() == PluginInterfaceKind::kV2_EXT) {
                std::unique_ptr<bool[]> inB(new bool[in.size() + 1]()), outB(new bool[out.size() + 1]());
                static_cast<IPluginV2Ext&>(*p_).configurePlugin(din.data(), int32_t(din.size()), dout.data(),
                                                                int32_t(dout.size()), tin.data(), tout.data(),
                                                                inB.get(), outB.get(), TensorFormat::kLINEAR, maxBatch);
            } else {
                const DataType t = tin.empty() ? (tout.empty() ? DataType::kFLOAT : tout[0]) : tin[0];
                p_->configureWithFormat(din.data(), int32_t(din.size()), dout.data(), int32_t(dout.size()), t,
                                        TensorFormat::kLINEAR, maxBatch);
            }
            maxBatch_ = maxBatch;
        }
        configured_ = true;
        configuredShapes_ = std::move(shapes);
        if (!initialized_) {
            const int32_t rc = p_->initialize();
            if (rc != 0)
                return Status::Error("the plugin's initialize() failed with code " + std::to_string(rc) + errorOf(*p_));
            initialized_ = true;
        }
        return Status::Ok();
    }

    size_t workspaceSize(const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) override {
        if (!dynamic()) return p_->getWorkspaceSize(int32_t(batchOf(in, out)));
        std::vector<PluginTensorDesc> di, dout;
        for (const auto& t : in) di.push_back(descOf(t, 0));
        for (const auto& t : out) dout.push_back(descOf(t, 0));
        return static_cast<IPluginV2DynamicExt&>(*p_).getWorkspaceSize(di.data(), int32_t(di.size()), dout.data(),
                                                                       int32_t(dout.size()));
    }

    Status enqueue(const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out,
                   const std::vector<void*>& outPtrs, void* workspace, void* stream) override {
        std::vector<const void*> inPtrs;
        for (const auto& t : in) inPtrs.push_back(t.data);
        int32_t rc;
        if (dynamic()) {
            std::vector<PluginTensorDesc> di, dout;
            for (const auto& t : in) di.push_back(descOf(t, 0));
            for (const auto& t : out) dout.push_back(descOf(t, 0));
            rc = static_cast<IPluginV2DynamicExt&>(*p_).enqueue(di.data(), dout.data(), inPtrs.data(), outPtrs.data(),
                                                                workspace, static_cast<cudaStream_t>(stream));
        } else {
            const int64_t batch = batchOf(in, out);
            if (batch > maxBatch_)
                return Status::Error("batch " + std::to_string(batch) + " exceeds the plugin's configured maximum " +
                                     std::to_string(maxBatch_));
            rc = p_->enqueue(int32_t(batch), inPtrs.data(), outPtrs.data(), workspace,
                             static_cast<cudaStream_t>(stream));
        }
        if (rc != 0)
            return Status::Error("the plugin's enqueue() failed with code " + std::to_string(rc) + errorOf(*p_));
        return Status::Ok();
    }

    Status clone(std::unique_ptr<ir::PluginInstance>& out) const override {
        std::unique_ptr<IPluginV2> c(p_->clone());
        if (!c) return Status::Error("the plugin's clone() failed" + errorOf(*p_));
        out = std::make_unique<Instance>(std::move(c), implicitBatch_, name_);
        return Status::Ok();
    }

private:
    bool dynamic() const { return p_->getInterfaceKind() == PluginInterfaceKind::kV2_DYNAMIC_EXT; }
    size_t drop() const { return dynamic() || !implicitBatch_ ? 0 : 1; }
    int64_t batchOf(const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) const {
        if (!implicitBatch_) return 1;
        const auto& first = in.empty() ? out[0] : in[0];
        return first.shape.empty() ? 1 : first.shape[0];
    }
    static DynamicPluginTensorDesc dynDesc(const ir::TensorDesc& t) {
        DynamicPluginTensorDesc d;
        d.desc = descOf(t, 0);
        d.min = d.max = d.opt = d.desc.dims;
        return d;
    }
    static Status checkShapesKnown(const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
        for (size_t i = 0; i < in.size() + out.size(); ++i) {
            const ir::TensorDesc& t = i < in.size() ? in[i] : out[i - in.size()];
            if (!ir::isStatic(t.shape))
                return Status::Error(tensorName(i, in.size()) + " has the shape " + ir::shapeToString(t.shape) +
                                     ", which depends on computed values; plugins need shapes that follow from the "
                                     "network's input shapes");
            if (t.shape.size() > size_t(Dims::MAX_DIMS))
                return Status::Error(tensorName(i, in.size()) + " has rank " + std::to_string(t.shape.size()) +
                                     "; plugins take at most " + std::to_string(Dims::MAX_DIMS));
        }
        return Status::Ok();
    }

    std::unique_ptr<IPluginV2> p_;
    bool implicitBatch_;
    std::string name_;
    bool configured_ = false, initialized_ = false;
    std::vector<ir::Shape> configuredShapes_;
    int64_t maxBatch_ = 1;
};

std::string keyOf(const ir::Attrs& a) {
    std::string k = a.getString("plugin_type");
    k.append(1, '\0').append(a.getString("plugin_version")).append(1, '\0');
    k.append(a.getString("plugin_namespace")).append(1, '\0').append(a.getString("plugin_data"));
    return k;
}

class Host final : public ir::PluginHost {
public:
    Status instantiate(const ir::Node& node, std::unique_ptr<ir::PluginInstance>& out) override {
        std::shared_ptr<Proto> proto;
        KILN_RETURN_IF_ERROR(prototype(node, proto));
        std::lock_guard<std::mutex> lock(proto->m);
        std::unique_ptr<IPluginV2> c(proto->plugin->clone());
        if (!c)
            return Status::Error("plugin " + ir::describePlugin(node) + ": clone() failed" + errorOf(*proto->plugin));
        out = std::make_unique<Instance>(std::move(c), implicit(node), node.name);
        return Status::Ok();
    }

    Status infer(const ir::Node& node, const std::vector<ir::TensorDesc>& in,
                 std::vector<ir::TensorDesc>& out) override {
        std::shared_ptr<Proto> proto;
        KILN_RETURN_IF_ERROR(prototype(node, proto));
        std::lock_guard<std::mutex> lock(proto->m);
        return inferWith(*proto->plugin, implicit(node), in, out)
            .withContext("plugin " + ir::describePlugin(node) + ": ");
    }

    void remember(const ir::Attrs& attrs, std::unique_ptr<IPluginV2> plugin) {
        auto proto = std::make_shared<Proto>();
        proto->plugin = std::move(plugin);
        std::lock_guard<std::mutex> lock(m_);
        protos_[keyOf(attrs)] = std::move(proto);
    }

private:
    struct Proto {
        std::mutex m;  // plugin calls are not assumed thread-safe
        std::unique_ptr<IPluginV2> plugin;
    };

    static bool implicit(const ir::Node& n) { return n.attrs.getInt("implicit_batch", 0) != 0; }

    Status prototype(const ir::Node& node, std::shared_ptr<Proto>& out) {
        const std::string key = keyOf(node.attrs);
        {
            std::lock_guard<std::mutex> lock(m_);
            auto it = protos_.find(key);
            if (it != protos_.end()) {
                out = it->second;
                return Status::Ok();
            }
        }
        const std::string type = node.attrs.getString("plugin_type"), version = node.attrs.getString("plugin_version"),
                          ns = node.attrs.getString("plugin_namespace"), data = node.attrs.getString("plugin_data");
        IPluginCreator* creator = getPluginRegistry()->getPluginCreator(type.c_str(), version.c_str(), ns.c_str());
        if (!creator)
            return Status::Error("plugin " + ir::describePlugin(node) +
                                 " has no registered creator: load the library that provides it (loadPluginLibrary, "
                                 "kiln --plugins) or register its creator");
        std::unique_ptr<IPluginV2> p(creator->deserializePlugin(node.name.c_str(), data.data(), data.size()));
        if (!p)
            return Status::Error("plugin " + ir::describePlugin(node) + ": its creator could not deserialize the " +
                                 std::to_string(data.size()) + " bytes of layer '" + node.name + "'");
        if (type != (p->getPluginType() ? p->getPluginType() : ""))
            return Status::Error("plugin " + ir::describePlugin(node) + ": its creator made a plugin of type '" +
                                 (p->getPluginType() ? p->getPluginType() : "") + "'");
        auto proto = std::make_shared<Proto>();
        proto->plugin = std::move(p);
        std::lock_guard<std::mutex> lock(m_);
        auto [it, added] = protos_.emplace(key, std::move(proto));  // another thread may have been first
        out = it->second;
        return Status::Ok();
    }

    std::mutex m_;
    std::map<std::string, std::shared_ptr<Proto>> protos_;
};

Host& host() {
    static Host* h = new Host();  // lives as long as the process: plugin objects may come from libraries
    return *h;
}

}  // namespace

void installPluginHost() {
    static const bool once = [] {
        ir::setPluginHost(&host());
        return true;
    }();
    (void)once;
}

Status pluginAttrs(const IPluginV2& plugin, ir::Attrs& attrs) {
    const char* type = plugin.getPluginType();
    const char* version = plugin.getPluginVersion();
    const char* ns = plugin.getPluginNamespace();
    if (!type || !*type) return Status::Error("the plugin has no type name (getPluginType)");
    if (!version) return Status::Error("plugin '" + std::string(type) + "' has no version (getPluginVersion)");
    const size_t size = plugin.getSerializationSize();
    std::string data(size, '\0');
    if (size) plugin.serialize(data.data());
    attrs.set("plugin_type", std::string(type));
    attrs.set("plugin_version", std::string(version));
    attrs.set("plugin_namespace", std::string(ns ? ns : ""));
    attrs.set("plugin_data", std::move(data));
    return Status::Ok();
}

void rememberPlugin(const ir::Attrs& attrs, const IPluginV2& plugin) {
    installPluginHost();
    std::unique_ptr<IPluginV2> c(plugin.clone());
    if (c) host().remember(attrs, std::move(c));
}

}  // namespace kiln::plugins
