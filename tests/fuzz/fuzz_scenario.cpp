// libFuzzer: load scenario JSON as `poolscope load --scenario FILE` and the Load tab's editor read it:
// parsed, validated, written back, read again. Seeds: resources/load/*.json.
#include "load/scenario.h"

#include <cstddef>
#include <cstdint>

using namespace poolscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const std::optional<load::Scenario> scenario = load::scenarioFromJson(json, &error);
    if (!scenario)
        return 0;
    if (load::validate(*scenario, &error)) {
        load::Overrides overrides;
        overrides.clients = 3;
        load::validate(load::applyOverrides(*scenario, overrides), &error);
    }
    load::scenarioFromJson(load::toJson(*scenario), &error);
    return 0;
}
