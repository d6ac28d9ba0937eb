// Reporting helpers: errors cross the public API only as logger messages and
// null/false results.
#pragma once
#include <string>

#include "kiln/types.h"

namespace kiln::api {

void logMessage(ILogger* logger, ILogger::Severity severity, const std::string& msg);
inline void logError(ILogger* logger, const std::string& msg) { logMessage(logger, ILogger::Severity::kERROR, msg); }
inline void logWarning(ILogger* logger, const std::string& msg) {
    logMessage(logger, ILogger::Severity::kWARNING, msg);
}
inline void logInfo(ILogger* logger, const std::string& msg) { logMessage(logger, ILogger::Severity::kINFO, msg); }
inline void logVerbose(ILogger* logger, const std::string& msg) {
    logMessage(logger, ILogger::Severity::kVERBOSE, msg);
}

}  // namespace kiln::api
