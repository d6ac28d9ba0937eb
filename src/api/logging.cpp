#include "logging.h"

namespace kiln::api {

void logMessage(ILogger* logger, ILogger::Severity severity, const std::string& msg) {
    if (logger) logger->log(severity, msg.c_str());
}

}  // namespace kiln::api
