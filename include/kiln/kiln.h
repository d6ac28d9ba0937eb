// kiln: the whole public API. `#include <kiln/kiln.h>` replaces TensorRT's
// `#include "NvInfer.h"`; see docs/porting.md for the renames.
#pragma once
#include "builder.h"   // IBuilder, IBuilderConfig, IOptimizationProfile
#include "network.h"   // INetworkDefinition, ITensor, layers
#include "plugin.h"    // IPluginV2*, IPluginCreator, getPluginRegistry
#include "plugin_base.h"  // PluginBase, PluginCreatorFor: plugins without boilerplate
#include "runtime.h"   // IRuntime, ICudaEngine/IEngine, IExecutionContext
#include "types.h"     // DataType, Dims, Weights, ILogger, IHostMemory
