// libFuzzer: connection strings (URIs, key=value, service=NAME) as the command line, saved targets and the
// targets dialog hand them over: parsed, described, given defaults, rewritten, split from their password, and
// the host:port they reach. Seeds: tests/fuzz/corpus/conninfo.
#include "db/conninfo.h"

#include <cstddef>
#include <cstdint>

using namespace poolscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const db::ConnSpec spec = db::parseConnInfo(text);
    db::describe(spec);
    db::hostPort(spec);
    if (spec.isValid()) {
        const db::ConnSpec withDefaults = db::withMonitoringDefaults(spec, {});
        withDefaults.arrays();
        // What is written back must read back.
        const QString rewritten = db::toConnInfoString(withDefaults);
        if (!db::parseConnInfo(rewritten).isValid())
            __builtin_trap();
    }
    const db::SplitConnInfo split = db::splitPassword(text);
    if (split.error.isEmpty())
        db::withPassword(split.conninfo, split.password);
    return 0;
}
