// kiln public API: the builder and its configuration.
#pragma once
#include <cstdint>
#include <memory>

#include "network.h"
#include "runtime.h"
#include "types.h"

namespace kiln {

enum class BuilderFlag : int32_t {
    kFP16 = 0,                    //!< allow float16 kernels
    kINT8 = 1,                    //!< allow int8 kernels (needs dynamic ranges or calibration)
    kDEBUG = 2,                   //!< check every layer's output for NaN/Inf at run time
    kGPU_FALLBACK = 3,            //!< accepted for compatibility; every layer runs on the chosen backend
    kSTRICT_TYPES = 4,            //!< same as kOBEY_PRECISION_CONSTRAINTS
    kREFIT = 5,                   //!< keep weights refittable
    kDISABLE_TIMING_CACHE = 6,    //!< leave the attached ITimingCache unused (no reads, no writes)
    kTF32 = 7,                    //!< allow TF32 for float32 GEMM/convolution on CUDA
    kSPARSE_WEIGHTS = 8,
    kSAFETY_SCOPE = 9,
    kOBEY_PRECISION_CONSTRAINTS = 10,   //!< layer precisions/output types are requirements
    kPREFER_PRECISION_CONSTRAINTS = 11, //!< ... preferences, with a warning when not met
    kDIRECT_IO = 12,
    kREJECT_EMPTY_ALGORITHMS = 13,
    kBF16 = 14,                   //!< allow bfloat16 kernels
    kFP8 = 15,                    //!< allow fp8 kernels
};
using BuilderFlags = uint32_t;

enum class NetworkDefinitionCreationFlag : int32_t {
    kEXPLICIT_BATCH = 0,  //!< dimensions include the batch (the default in kiln)
    kSTRONGLY_TYPED = 1,  //!< tensor types are exact; no precision flags apply
};
using NetworkDefinitionCreationFlags = uint32_t;

enum class MemoryPoolType : int32_t { kWORKSPACE = 0 };

enum class OptProfileSelector : int32_t { kMIN = 0, kOPT = 1, kMAX = 2 };

//! Shape ranges of the network inputs for one optimization profile.
class IOptimizationProfile {
public:
    virtual bool setDimensions(const char* inputName, OptProfileSelector select, const Dims& dims) noexcept = 0;
    virtual Dims getDimensions(const char* inputName, OptProfileSelector select) const noexcept = 0;
    virtual bool isValid() const noexcept = 0;

protected:
    virtual ~IOptimizationProfile() = default;
};

//! Tactic timings measured by the builder, kept across builds (TensorRT's
//! ITimingCache). Entries are keyed by device (GPU name and SM version, or the
//! CPU's features), problem (op, attributes, input types and shapes) and
//! tactic. A build with a cache attached (IBuilderConfig::setTimingCache)
//! reuses its timings instead of measuring and adds the timings it measures;
//! rebuilding with the same cache gives a byte-identical engine. The
//! serialized form is text (see src/builder/timing_cache.h), sorted, so the
//! same contents give the same bytes.
class ITimingCache {
public:
    virtual ~ITimingCache() = default;
    //! The cache's contents, for IBuilderConfig::createTimingCache (or a file).
    virtual std::unique_ptr<IHostMemory> serialize() const noexcept = 0;
    //! Adds the entries of `inputCache` this cache lacks (existing entries
    //! stay). Fails, changing nothing, when `inputCache` holds timings of a
    //! device this (non-empty) cache has none of, unless `ignoreMismatch`.
    virtual bool combine(const ITimingCache& inputCache, bool ignoreMismatch) noexcept = 0;
    //! Removes every entry.
    virtual bool reset() noexcept = 0;
};

class IBuilderConfig {
public:
    virtual ~IBuilderConfig() = default;
    virtual void setFlags(BuilderFlags flags) noexcept = 0;
    virtual BuilderFlags getFlags() const noexcept = 0;
    virtual void setFlag(BuilderFlag flag) noexcept = 0;
    virtual void clearFlag(BuilderFlag flag) noexcept = 0;
    virtual bool getFlag(BuilderFlag flag) const noexcept = 0;
    //! Upper bound on the scratch memory any layer may use (a hard limit).
    virtual void setMemoryPoolLimit(MemoryPoolType pool, size_t bytes) noexcept = 0;
    virtual size_t getMemoryPoolLimit(MemoryPoolType pool) const noexcept = 0;
    virtual void setMaxWorkspaceSize(size_t bytes) noexcept = 0;  //!< = setMemoryPoolLimit(kWORKSPACE)
    virtual size_t getMaxWorkspaceSize() const noexcept = 0;
    //! Returns the profile's index, or -1 if it is invalid.
    virtual int32_t addOptimizationProfile(const IOptimizationProfile* profile) noexcept = 0;
    virtual int32_t getNbOptimizationProfiles() const noexcept = 0;
    //! kiln: which device the engine targets (default: CUDA when a GPU is present, else CPU).
    virtual void setBackend(BackendKind backend) noexcept = 0;
    virtual BackendKind getBackend() const noexcept = 0;
    //! kiln: turn one builder pass on or off by name (see `kiln build --list-passes`); every
    //! pass is on by default.
    virtual void setPassEnabled(const char* passName, bool enabled) noexcept = 0;
    virtual bool getPassEnabled(const char* passName) const noexcept = 0;
    //! kiln: 0 = no tactic timing (first supported tactic), 1+ = time every candidate (default 3).
    virtual void setBuilderOptimizationLevel(int32_t level) noexcept = 0;
    virtual int32_t getBuilderOptimizationLevel() const noexcept = 0;
    //! Average timing iterations per tactic (default 4).
    virtual void setAvgTimingIterations(int32_t n) noexcept = 0;
    virtual int32_t getAvgTimingIterations() const noexcept = 0;
    //! A timing cache from serialized data (ITimingCache::serialize() or a
    //! cache file); `blob` null and `size` 0 make an empty cache. Returns
    //! nullptr (and logs why) when the data is not a kiln timing cache.
    virtual std::unique_ptr<ITimingCache> createTimingCache(const void* blob, size_t size) const noexcept = 0;
    //! Attaches `cache` to the builds made with this configuration: timings in
    //! it are reused, and new ones are added to it (it must outlive the builds).
    //! A cache holding another device's timings fails the build unless
    //! `ignoreMismatch` (then those entries are kept but not used: a timing is
    //! only valid on the device it was measured on). BuilderFlag
    //! kDISABLE_TIMING_CACHE leaves the attached cache unused.
    virtual bool setTimingCache(const ITimingCache& cache, bool ignoreMismatch) noexcept = 0;
    //! The attached cache (updated by the builds), or nullptr.
    virtual const ITimingCache* getTimingCache() const noexcept = 0;
};

class IBuilder {
public:
    virtual ~IBuilder() = default;

    //! Classic implicit-batch network: input dimensions exclude the batch, and
    //! the engine runs any batch up to setMaxBatchSize().
    virtual std::unique_ptr<INetworkDefinition> createNetwork() noexcept = 0;
    virtual std::unique_ptr<INetworkDefinition> createNetworkV2(NetworkDefinitionCreationFlags flags) noexcept = 0;
    virtual std::unique_ptr<IBuilderConfig> createBuilderConfig() noexcept = 0;
    //! Owned by the builder; valid while the builder lives.
    virtual IOptimizationProfile* createOptimizationProfile() noexcept = 0;

    // Classic settings, used by buildCudaEngine().
    virtual void setMaxBatchSize(int32_t batchSize) noexcept = 0;
    virtual int32_t getMaxBatchSize() const noexcept = 0;
    virtual void setMaxWorkspaceSize(size_t bytes) noexcept = 0;
    virtual size_t getMaxWorkspaceSize() const noexcept = 0;
    virtual void setFp16Mode(bool mode) noexcept = 0;
    virtual bool getFp16Mode() const noexcept = 0;
    virtual void setInt8Mode(bool mode) noexcept = 0;
    virtual bool getInt8Mode() const noexcept = 0;
    virtual void setStrictTypeConstraints(bool mode) noexcept = 0;
    virtual bool getStrictTypeConstraints() const noexcept = 0;
    virtual void setRefittable(bool canRefit) noexcept = 0;
    virtual bool getRefittable() const noexcept = 0;
    virtual bool platformHasFastFp16() const noexcept = 0;
    virtual bool platformHasFastInt8() const noexcept = 0;

    //! Builds with the classic settings above. Returns nullptr on failure (the
    //! reason goes to the logger).
    virtual std::unique_ptr<ICudaEngine> buildCudaEngine(INetworkDefinition& network) noexcept = 0;
    virtual std::unique_ptr<ICudaEngine> buildEngineWithConfig(INetworkDefinition& network,
                                                               IBuilderConfig& config) noexcept = 0;
    virtual std::unique_ptr<IHostMemory> buildSerializedNetwork(INetworkDefinition& network,
                                                                IBuilderConfig& config) noexcept = 0;
    //! Whether buildEngineWithConfig() can find a tactic for every layer of the
    //! network with this config: the build's passes run and each layer is
    //! matched to the kernels that support it, with nothing timed and no
    //! device used (a CUDA config can be checked on a machine without a GPU).
    //! The first reason it cannot goes to the logger as an error.
    virtual bool isNetworkSupported(const INetworkDefinition& network, const IBuilderConfig& config) const noexcept = 0;
    virtual ILogger* getLogger() const noexcept = 0;
    //! Device memory of the engines this builder makes (nullptr: cudaMalloc);
    //! tactic timing during the build uses cudaMalloc.
    virtual void setGpuAllocator(IGpuAllocator* allocator) noexcept = 0;
};

//! kiln: name of builder pass `index` (for IBuilderConfig::setPassEnabled), or
//! nullptr past the last one.
const char* getBuilderPassName(int32_t index) noexcept;

//! Creates a builder that reports to `logger` (which must outlive it).
std::unique_ptr<IBuilder> createInferBuilder(ILogger& logger) noexcept;

}  // namespace kiln
