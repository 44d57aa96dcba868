#pragma once

// Captured rows in tests/data, read the same way by every test. Header-only: pure tests link only the
// library under test. POOLSCOPE_TEST_DATA is defined for every test by poolscope_add_test().
#include "core/resulttable.h"

#include <QFile>
#include <QString>
#include <QtGlobal>
#include <optional>
#include <type_traits>

namespace poolscope::test {

/// The fixture at tests/data/<name>; a missing or malformed file stops the test binary with its name.
inline ResultTable fixture(const QString &name)
{
    QFile f(QStringLiteral(POOLSCOPE_TEST_DATA "/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(name));
    QString error;
    ResultTable t = ResultTable::fromText(QString::fromUtf8(f.readAll()), &error);
    if (!error.isEmpty())
        qFatal("bad fixture %s: %s", qPrintable(name), qPrintable(error));
    return t;
}

/// A parsed field as text for one-line comparisons: "?" for unknown, "yes"/"no" for booleans, doubles with 6
/// decimals.
template <typename T> QString n(const std::optional<T> &v)
{
    if (!v)
        return QStringLiteral("?");
    if constexpr (std::is_same_v<T, QString>)
        return *v;
    else if constexpr (std::is_same_v<T, double>)
        return QString::number(*v, 'f', 6);
    else if constexpr (std::is_same_v<T, bool>)
        return *v ? QStringLiteral("yes") : QStringLiteral("no");
    else
        return QString::number(*v);
}

} // namespace poolscope::test
