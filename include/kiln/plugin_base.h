// kiln public API: PluginBase and PluginCreatorFor, which write the boilerplate of a plugin
// and its creator, so that a custom layer is its parameters, its shapes and its kernel:
//
//     class ScaledTanh : public kiln::PluginBase<ScaledTanh> {
//     public:
//         static constexpr const char* kNAME = "ScaledTanh";
//         static constexpr const char* kVERSION = "1";
//         float alpha = 1.f, beta = 1.f;  // the parameters: fields, serialized, cloned
//         static auto fields() {
//             return std::make_tuple(kiln::field("alpha", &ScaledTanh::alpha),
//                                    kiln::field("beta", &ScaledTanh::beta));
//         }
//         int32_t enqueueCpu(const kiln::PluginTensorDesc* in, const kiln::PluginTensorDesc*,
//                            const void* const* inputs, void* const* outputs, void*) noexcept {
//             ... y = alpha * tanh(beta * x) over kiln::volume(in[0].dims) floats ...
//             return 0;
//         }
//     };
//     KILN_REGISTER_PLUGIN(kiln::PluginCreatorFor<ScaledTanh>);
//
// What PluginBase provides, each overridable by declaring the same member in the plugin:
// - identity from kNAME / kVERSION, namespace handling, clone() by copy construction;
// - serialization of the fields listed by fields() (bool, int32_t, int64_t, float, double,
//   std::string and std::vector of the numbers), checked when read back;
// - shapes: `ExtentDims outputDims(int32_t index, const ExtentDims* inputs, int32_t nbInputs)
//   const` (default: input 0's), getNbOutputs() (default 1), getOutputDataType() (default:
//   input 0's type) and supportsFormatCombination() (default: float32 everywhere);
// - enqueue() dispatching to `enqueueCpu(inDesc, outDesc, inputs, outputs, workspace)` and/or
//   `enqueueCuda(inDesc, outDesc, inputs, outputs, workspace, stream)`, whichever the plugin
//   defines (supportsBackend() follows from which exist);
// - `bool validate(std::string& why) const`, called after the fields are set or read;
// - reportError(message), which records why a call failed for kiln's error message.
// PluginCreatorFor<P> fills the fields from a PluginFieldCollection (converting between
// numeric types when the value is exact) and reads serialized plugins back.
#pragma once
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "plugin.h"

namespace kiln {

//! Element count of `d` (1 for a scalar; 0 if an extent is negative). Saturates at INT64_MAX
//! (absurd extents, e.g. of a forged engine), which any buffer-size check then refuses.
inline int64_t volume(const Dims& d) noexcept {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    int64_t n = 1;
    for (int32_t i = 0; i < d.nbDims; ++i) {
        const int64_t e = d.d[i] < 0 ? 0 : d.d[i];
        n = e != 0 && n > kMax / e ? kMax : n * e;
    }
    return n;
}

//! An extent in a plugin's shape code: a value, or unknown (see IExprBuilder). Arithmetic on
//! an unknown extent, a negative result or a division by zero gives an unknown extent.
class Extent {
public:
    constexpr Extent(int64_t value = -1) noexcept : v_(value < 0 ? -1 : value) {}
    constexpr bool known() const noexcept { return v_ >= 0; }
    constexpr int64_t value() const noexcept { return v_; }  //!< -1 when unknown

    friend constexpr Extent operator+(Extent a, Extent b) noexcept {
        return both(a, b) ? Extent(a.v_ + b.v_) : Extent();
    }
    friend constexpr Extent operator-(Extent a, Extent b) noexcept {
        return both(a, b) ? Extent(a.v_ - b.v_) : Extent();
    }
    friend constexpr Extent operator*(Extent a, Extent b) noexcept {
        return both(a, b) ? Extent(a.v_ * b.v_) : Extent();
    }
    //! Floor division.
    friend constexpr Extent operator/(Extent a, Extent b) noexcept {
        return both(a, b) && b.v_ > 0 ? Extent(a.v_ / b.v_) : Extent();
    }
    friend constexpr Extent ceilDiv(Extent a, Extent b) noexcept {
        return both(a, b) && b.v_ > 0 ? Extent((a.v_ + b.v_ - 1) / b.v_) : Extent();
    }
    friend constexpr Extent max(Extent a, Extent b) noexcept {
        return both(a, b) ? Extent(a.v_ > b.v_ ? a.v_ : b.v_) : Extent();
    }
    friend constexpr Extent min(Extent a, Extent b) noexcept {
        return both(a, b) ? Extent(a.v_ < b.v_ ? a.v_ : b.v_) : Extent();
    }
    friend constexpr bool operator==(Extent a, Extent b) noexcept { return a.v_ == b.v_; }

private:
    static constexpr bool both(Extent a, Extent b) noexcept { return a.known() && b.known(); }
    int64_t v_;
};

//! Dimensions made of extents; nbDims = -1 tells kiln the inputs are rejected.
struct ExtentDims {
    int32_t nbDims = 0;
    Extent d[Dims::MAX_DIMS];

    ExtentDims() = default;
    ExtentDims(std::initializer_list<Extent> extents) noexcept {
        for (Extent e : extents)
            if (nbDims < Dims::MAX_DIMS) d[nbDims++] = e;
    }
    static ExtentDims rejected() noexcept {
        ExtentDims r;
        r.nbDims = -1;
        return r;
    }
};

//! One serialized parameter of a PluginBase plugin: its field name and member.
template <typename P, typename T>
struct PluginParam {
    const char* name;
    T P::*member;
};
template <typename P, typename T>
constexpr PluginParam<P, T> field(const char* name, T P::*member) noexcept {
    return {name, member};
}

namespace plugin_detail {

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {
    using Elem = T;
};

template <typename T>
constexpr PluginFieldType fieldTypeOf() {
    if constexpr (std::is_same_v<T, float>)
        return PluginFieldType::kFLOAT32;
    else if constexpr (std::is_same_v<T, double>)
        return PluginFieldType::kFLOAT64;
    else if constexpr (std::is_same_v<T, int64_t>)
        return PluginFieldType::kINT64;
    else if constexpr (std::is_same_v<T, std::string>)
        return PluginFieldType::kCHAR;
    else if constexpr (IsVector<T>::value)
        return fieldTypeOf<typename IsVector<T>::Elem>();
    else
        return PluginFieldType::kINT32;  // int32_t, bool
}

// Element i of a numeric field as a double; false for non-numeric types.
inline bool numberAt(const PluginField& f, int32_t i, double& out) noexcept {
    const auto* p = static_cast<const unsigned char*>(f.data);
    switch (f.type) {
        case PluginFieldType::kFLOAT32: {
            float v;
            std::memcpy(&v, p + 4 * i, 4);
            out = v;
            return true;
        }
        case PluginFieldType::kFLOAT64: {
            double v;
            std::memcpy(&v, p + 8 * i, 8);
            out = v;
            return true;
        }
        case PluginFieldType::kINT8: {
            int8_t v;
            std::memcpy(&v, p + i, 1);
            out = v;
            return true;
        }
        case PluginFieldType::kINT16: {
            int16_t v;
            std::memcpy(&v, p + 2 * i, 2);
            out = v;
            return true;
        }
        case PluginFieldType::kINT32: {
            int32_t v;
            std::memcpy(&v, p + 4 * i, 4);
            out = v;
            return true;
        }
        case PluginFieldType::kINT64: {
            int64_t v;
            std::memcpy(&v, p + 8 * i, 8);
            out = double(v);
            return true;
        }
        default:
            return false;
    }
}

// Converts a number to T exactly (integers must be whole and in range).
template <typename T>
bool numberTo(double v, T& out) noexcept {
    if constexpr (std::is_floating_point_v<T>) {
        out = T(v);
        return true;
    } else {
        if (!(v == std::floor(v)) || v < double(std::numeric_limits<T>::lowest()) ||
            v > double(std::numeric_limits<T>::max()))
            return false;
        out = T(v);
        return true;
    }
}

template <typename T>
bool fromField(const PluginField& f, T& out, std::string& why) {
    if (f.length < 0 || (f.length > 0 && !f.data)) {
        why = "has no data";
        return false;
    }
    if constexpr (std::is_same_v<T, std::string>) {
        if (f.type != PluginFieldType::kCHAR) {
            why = "must be characters (kCHAR)";
            return false;
        }
        out.assign(static_cast<const char*>(f.data), size_t(f.length));
        while (!out.empty() && out.back() == '\0') out.pop_back();
        return true;
    } else if constexpr (IsVector<T>::value) {
        T v;
        for (int32_t i = 0; i < f.length; ++i) {
            double x;
            typename IsVector<T>::Elem e{};
            if (!numberAt(f, i, x)) {
                why = "must be numbers";
                return false;
            }
            if (!numberTo(x, e)) {
                why = "element " + std::to_string(i) + " (" + std::to_string(x) + ") does not fit its type";
                return false;
            }
            v.push_back(e);
        }
        out = std::move(v);
        return true;
    } else {
        double x;
        if (f.length != 1 || !numberAt(f, 0, x)) {
            why = "must be one number";
            return false;
        }
        if constexpr (std::is_same_v<T, bool>) {
            out = x != 0;
            return true;
        } else {
            if (!numberTo(x, out)) {
                why = "value " + std::to_string(x) + " does not fit its type";
                return false;
            }
            return true;
        }
    }
}

// Little-endian byte stream for the fields (the host's order: engines check it).
class Writer {
public:
    explicit Writer(void* buf) : p_(static_cast<unsigned char*>(buf)) {}
    void bytes(const void* src, size_t n) {
        if (p_ && n) std::memcpy(p_ + n_, src, n);  // an empty vector's data() may be null
        n_ += n;
    }
    size_t size() const { return n_; }

private:
    unsigned char* p_;
    size_t n_ = 0;
};

class Reader {
public:
    Reader(const void* data, size_t size) : p_(static_cast<const unsigned char*>(data)), size_(size) {}
    bool bytes(void* dst, size_t n) {
        if (n > size_ - pos_) return false;
        if (n) std::memcpy(dst, p_ + pos_, n);
        pos_ += n;
        return true;
    }
    bool done() const { return pos_ == size_; }

private:
    const unsigned char* p_;
    size_t size_;
    size_t pos_ = 0;
};

template <typename T>
void write(Writer& w, const T& v) {
    if constexpr (std::is_same_v<T, std::string> || IsVector<T>::value) {
        const auto n = uint32_t(v.size());
        w.bytes(&n, 4);
        if constexpr (std::is_same_v<T, std::vector<bool>>) {
            for (bool b : v) write(w, b);
        } else {
            w.bytes(v.data(), v.size() * sizeof(v[0]));
        }
    } else if constexpr (std::is_same_v<T, bool>) {
        const uint8_t b = v ? 1 : 0;
        w.bytes(&b, 1);
    } else {
        static_assert(std::is_arithmetic_v<T>, "PluginBase fields must be numbers, strings or vectors of numbers");
        w.bytes(&v, sizeof(T));
    }
}

template <typename T>
bool read(Reader& r, T& v) {
    if constexpr (std::is_same_v<T, std::string> || IsVector<T>::value) {
        uint32_t n;
        if (!r.bytes(&n, 4)) return false;
        using Elem = std::remove_cv_t<std::remove_reference_t<decltype(v[0])>>;
        T out;
        for (uint32_t i = 0; i < n; ++i) {  // element by element: a forged count cannot over-allocate
            Elem e{};
            if constexpr (std::is_same_v<Elem, bool>) {
                uint8_t b;
                if (!r.bytes(&b, 1) || b > 1) return false;
                e = b != 0;
            } else if (!r.bytes(&e, sizeof(Elem))) {
                return false;
            }
            out.push_back(e);
        }
        v = std::move(out);
        return true;
    } else if constexpr (std::is_same_v<T, bool>) {
        uint8_t b;
        if (!r.bytes(&b, 1) || b > 1) return false;
        v = b != 0;
        return true;
    } else {
        return r.bytes(&v, sizeof(T));
    }
}

inline void log(ILogger::Severity severity, const std::string& msg) noexcept {
    if (ILogger* l = getPluginRegistry()->getLogger()) l->log(severity, msg.c_str());
}

}  // namespace plugin_detail

//! The boilerplate of a dynamic-shape plugin (see the top of this file). `Derived` names
//! itself: `class MyPlugin : public PluginBase<MyPlugin>`.
template <typename Derived>
class PluginBase : public IPluginV2DynamicExt {
public:
    //! No serialized parameters unless the plugin lists them.
    static std::tuple<> fields() { return {}; }

    const char* getPluginType() const noexcept override { return Derived::kNAME; }
    const char* getPluginVersion() const noexcept override { return Derived::kVERSION; }
    void setPluginNamespace(const char* ns) noexcept override {
        try {
            namespace_ = ns ? ns : "";
        } catch (...) {
        }
    }
    const char* getPluginNamespace() const noexcept override { return namespace_.c_str(); }
    int32_t getNbOutputs() const noexcept override { return 1; }

    //! Default output shape: input 0's.
    ExtentDims outputDims(int32_t /*index*/, const ExtentDims* inputs, int32_t nbInputs) const {
        return nbInputs > 0 ? inputs[0] : ExtentDims::rejected();
    }
    DataType getOutputDataType(int32_t, const DataType* inputTypes, int32_t nbInputs) const noexcept override {
        return nbInputs > 0 ? inputTypes[0] : DataType::kFLOAT;
    }
    bool supportsFormatCombination(int32_t pos, const PluginTensorDesc* inOut, int32_t, int32_t) noexcept override {
        return inOut[pos].format == TensorFormat::kLINEAR && inOut[pos].type == DataType::kFLOAT;
    }
    void configurePlugin(const DynamicPluginTensorDesc*, int32_t, const DynamicPluginTensorDesc*,
                         int32_t) noexcept override {}
    size_t getWorkspaceSize(const PluginTensorDesc*, int32_t, const PluginTensorDesc*,
                            int32_t) const noexcept override {
        return 0;
    }
    int32_t initialize() noexcept override { return 0; }
    void terminate() noexcept override {}
    bool validate(std::string& /*why*/) const { return true; }

    DimsExprs getOutputDimensions(int32_t index, const DimsExprs* inputs, int32_t nbInputs,
                                  IExprBuilder& builder) noexcept override {
        DimsExprs result;
        result.nbDims = -1;
        try {
            std::vector<ExtentDims> in(size_t(nbInputs > 0 ? nbInputs : 0));
            const IDimensionExpr* unknown = nullptr;  // any unknown extent stands for all (they carry no identity)
            for (int32_t i = 0; i < nbInputs; ++i) {
                in[size_t(i)].nbDims = inputs[i].nbDims;
                for (int32_t k = 0; k < inputs[i].nbDims && k < Dims::MAX_DIMS; ++k) {
                    const IDimensionExpr* e = inputs[i].d[k];
                    if (e && e->isConstant())
                        in[size_t(i)].d[k] = Extent(e->getConstantValue());
                    else
                        unknown = e;
                }
            }
            const ExtentDims out = self().outputDims(index, in.data(), nbInputs);
            if (out.nbDims < 0 || out.nbDims > Dims::MAX_DIMS) return result;
            result.nbDims = out.nbDims;
            for (int32_t k = 0; k < out.nbDims; ++k) {
                if (out.d[k].known())
                    result.d[k] = builder.constant(out.d[k].value());
                else if (unknown)
                    result.d[k] = unknown;
                else
                    result.d[k] =
                        builder.operation(DimensionOperation::kFLOOR_DIV, *builder.constant(0), *builder.constant(0));
            }
        } catch (...) {
            result.nbDims = -1;
        }
        return result;
    }

    bool supportsBackend(BackendKind backend) const noexcept override {
        if (backend == BackendKind::kCPU) return hasCpu();
        if (backend == BackendKind::kCUDA) return hasCuda();
        return false;
    }
    void setBackend(BackendKind backend) noexcept override { backend_ = backend; }
    int32_t enqueue(const PluginTensorDesc* inputDesc, const PluginTensorDesc* outputDesc, const void* const* inputs,
                    void* const* outputs, void* workspace, cudaStream_t stream) noexcept override {
        if constexpr (hasCpu()) {
            if (backend_ == BackendKind::kCPU)
                return self().enqueueCpu(inputDesc, outputDesc, inputs, outputs, workspace);
        }
        if constexpr (hasCuda()) {
            if (backend_ == BackendKind::kCUDA)
                return self().enqueueCuda(inputDesc, outputDesc, inputs, outputs, workspace, stream);
        }
        (void)stream;
        reportError("no kernel for this backend");
        return -1;
    }

    size_t getSerializationSize() const noexcept override {
        plugin_detail::Writer w(nullptr);
        writeFields(w);
        return w.size();
    }
    void serialize(void* buffer) const noexcept override {
        plugin_detail::Writer w(buffer);
        writeFields(w);
    }
    IPluginV2DynamicExt* clone() const noexcept override {
        try {
            return new Derived(self());
        } catch (...) {
            return nullptr;
        }
    }
    const char* getErrorMessage() const noexcept override { return error_.empty() ? nullptr : error_.c_str(); }

    //! Reads the fields back from serialize()'s bytes; false (with why) if they do not fit.
    bool readFields(const void* data, size_t size, std::string& why) {
        plugin_detail::Reader r(data, size);
        bool ok = true;
        std::apply([&](auto... f) { ((ok = ok && plugin_detail::read(r, self().*(f.member))), ...); },
                   Derived::fields());
        if (!ok || !r.done()) {
            why = ok ? "has " + std::string("trailing bytes") : "is truncated or malformed";
            return false;
        }
        return true;
    }
    //! Sets the fields named in `fc` (others are ignored); false (with why) on a bad one.
    bool setFields(const PluginFieldCollection* fc, std::string& why) {
        if (!fc) return true;
        for (int32_t i = 0; i < fc->nbFields; ++i) {
            const PluginField& pf = fc->fields[i];
            if (!pf.name) continue;
            bool ok = true;
            std::apply(
                [&](auto... f) {
                    (
                        [&] {
                            if (ok && std::strcmp(pf.name, f.name) == 0 &&
                                !plugin_detail::fromField(pf, self().*(f.member), why)) {
                                why = std::string("field '") + f.name + "' " + why;
                                ok = false;
                            }
                        }(),
                        ...);
                },
                Derived::fields());
            if (!ok) return false;
        }
        return true;
    }

    //! Records why a call failed (see getErrorMessage()); returns false.
    bool reportError(const std::string& message) const noexcept {
        try {
            error_ = message;
        } catch (...) {
        }
        return false;
    }

protected:
    BackendKind backend() const noexcept { return backend_; }

private:
    static constexpr bool hasCpu() {
        return requires(Derived & d, const PluginTensorDesc* desc, const void* const* in, void* const* out, void* ws) {
            { d.enqueueCpu(desc, desc, in, out, ws) } -> std::convertible_to<int32_t>;
        };
    }
    static constexpr bool hasCuda() {
        return requires(Derived & d, const PluginTensorDesc* desc, const void* const* in, void* const* out, void* ws,
                        cudaStream_t s) {
            { d.enqueueCuda(desc, desc, in, out, ws, s) } -> std::convertible_to<int32_t>;
        };
    }
    Derived& self() noexcept { return static_cast<Derived&>(*this); }
    const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
    void writeFields(plugin_detail::Writer& w) const {
        std::apply([&](auto... f) { (plugin_detail::write(w, self().*(f.member)), ...); }, Derived::fields());
    }

    std::string namespace_;
    BackendKind backend_ = BackendKind::kCPU;
    mutable std::string error_;
};

//! The creator of a PluginBase plugin P: name, version and field list from P, createPlugin()
//! from fields, deserializePlugin() from P's bytes. Errors go to the registry's logger.
template <typename P>
class PluginCreatorFor : public IPluginCreator {
public:
    PluginCreatorFor() {
        std::apply([&](auto... f) { (names_.push_back(PluginField(f.name, nullptr, fieldType(f), 0)), ...); },
                   P::fields());
        collection_.nbFields = int32_t(names_.size());
        collection_.fields = names_.data();
    }
    const char* getPluginName() const noexcept override { return P::kNAME; }
    const char* getPluginVersion() const noexcept override { return P::kVERSION; }
    const PluginFieldCollection* getFieldNames() noexcept override { return &collection_; }
    void setPluginNamespace(const char* ns) noexcept override {
        try {
            namespace_ = ns ? ns : "";
        } catch (...) {
        }
    }
    const char* getPluginNamespace() const noexcept override { return namespace_.c_str(); }

    IPluginV2* createPlugin(const char* name, const PluginFieldCollection* fc) noexcept override {
        try {
            auto p = std::make_unique<P>();
            std::string why;
            if (!p->setFields(fc, why) || !p->validate(why)) return reject(name, why);
            p->setPluginNamespace(namespace_.c_str());
            return p.release();
        } catch (...) {
            return reject(name, "out of memory");
        }
    }
    IPluginV2* deserializePlugin(const char* name, const void* data, size_t size) noexcept override {
        try {
            auto p = std::make_unique<P>();
            std::string why;
            if (!data && size) return reject(name, "no serialized data");
            if (!p->readFields(data, size, why)) return reject(name, "the serialized plugin " + why);
            if (!p->validate(why)) return reject(name, why);
            p->setPluginNamespace(namespace_.c_str());
            return p.release();
        } catch (...) {
            return reject(name, "out of memory");
        }
    }

private:
    template <typename F>
    static PluginFieldType fieldType(const F& f) {
        using T = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<P&>().*(f.member))>>;
        return plugin_detail::fieldTypeOf<T>();
    }
    IPluginV2* reject(const char* name, const std::string& why) noexcept {
        try {
            plugin_detail::log(ILogger::Severity::kERROR,
                               std::string(P::kNAME) + " plugin '" + (name ? name : "") + "': " + why);
        } catch (...) {
        }
        return nullptr;
    }

    std::vector<PluginField> names_;
    PluginFieldCollection collection_;
    std::string namespace_;
};

}  // namespace kiln
