// libFuzzer: capacity plan files (`poolscope plan FILE`): strict parsing with errors that name the key and
// its line (JsonLocator), then what the command does with a plan that parsed: evaluate it (layers, scale-out,
// Erlang C queues) and write both out. Seeds: tests/fuzz/corpus/plan.
#include "core/capacity.h"
#include "core/jsonlocator.h"
#include "core/plan.h"

#include <cstddef>
#include <cstdint>

using namespace poolscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    // The locator on its own, as the error path uses it, whatever the text.
    const JsonLocator locator(json);
    locator.line(QStringLiteral("apps[0].pool_size"));
    JsonLocator::lineOfOffset(json, qsizetype(size / 2));
    plan::ParseError error;
    if (const std::optional<plan::Plan> p = plan::parsePlan(json, &error)) {
        plan::toJson(*p);
        capacity::toJson(capacity::evaluate(*p));
    }
    return 0;
}
