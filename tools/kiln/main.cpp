// `kiln`: build, run, benchmark and inspect kiln engines (TensorRT's trtexec
// role). Each subcommand lives in its own cmd_*.cpp; this file only picks one.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "common.h"

int main(int argc, char** argv) {
    using namespace kiln::cli;
    CLI::App app{"kiln: build, run, benchmark and inspect kiln inference engines"};
    app.require_subcommand(1);
    app.set_version_flag("--version", [] {
        const int v = kiln::getKilnVersion();
        return "kiln " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
               std::to_string(v % 100);
    });

    const Command commands[] = {addBuildCommand(app), addRunCommand(app), addBenchCommand(app), addInspectCommand(app)};
    // Plugins: the built-in ones are always registered (trtexec does the same); --plugins
    // loads libraries whose creators register themselves, before the command runs.
    std::vector<std::string> pluginLibraries;
    for (const Command& c : commands)
        c.app->add_option("--plugins", pluginLibraries, "Plugin library (.so) to load first; repeatable")
            ->allow_extra_args(false);

    try {
        app.parse(argc, argv);
    } catch (const CLI::Error& e) {
        // Help and --version are "errors" that exit 0; the rest are usage errors.
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitError;
    }
    static ConsoleLogger pluginLogger;  // the plugin registry reports here for the whole run
    kiln::initBuiltinPlugins(&pluginLogger, "");
    for (const std::string& library : pluginLibraries)
        if (!kiln::loadPluginLibrary(library.c_str(), &pluginLogger))
            return fail("cannot load plugin library '" + library + "' (see above)");
    try {
        for (const Command& c : commands)
            if (c.app->parsed()) return c.run();
    } catch (const std::exception& e) {
        // Commands report their own errors; this only keeps a bug from aborting.
        return fail(std::string("unexpected failure: ") + e.what());
    }
    return fail("no subcommand given (see kiln --help)");
}
