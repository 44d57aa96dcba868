#include "reportrequest.h"

namespace poolscope::widgets {

namespace {
ReportOpener &opener()
{
    static ReportOpener o;
    return o;
}
} // namespace

void setReportOpener(ReportOpener o)
{
    opener() = std::move(o);
}

const ReportOpener &reportOpener()
{
    return opener();
}

} // namespace poolscope::widgets
