#pragma once
// The window tests' common start: a MainWindow at 1280×800, shown and active, sampling the sandbox's
// PostgreSQL (as the monitor role) and, unless left out, its PgBouncer console (admin), until the pages
// have their charts.

#include "support/testsupport.h"
#include "widgets/mainwindow.h"
#include "widgets/targetpage.h"

#include <QApplication>
#include <QTest>
#include <memory>

namespace poolscope::test {

enum class WithPooler
{
    Yes,
    No
};

/// Null (and a warning) when the window did not come up with its targets within 15 s.
inline std::unique_ptr<widgets::MainWindow>
openWindowOnSandbox(const sandbox::Sandbox &sandbox, int intervalMs, WithPooler pooler = WithPooler::Yes)
{
    const bool withPooler = pooler == WithPooler::Yes;
    auto window = std::make_unique<widgets::MainWindow>();
    window->resize(1280, 800);
    window->show();
    QApplication::setActiveWindow(window.get());
    if (!QTest::qWaitForWindowExposed(window.get()) ||
        window->addTarget(sandbox.uris().monitor, intervalMs) != 0 ||
        (withPooler && window->addTarget(sandbox.uris().pgbouncerConsole, intervalMs) != 1)) {
        qWarning("the window or its targets did not start");
        return nullptr;
    }
    const bool ready = QTest::qWaitFor(
        [&] { return window->pageFor(0)->sessions() && (!withPooler || !window->chartsFor(1).isEmpty()); },
        15000);
    if (!ready) {
        qWarning("the sandbox's targets did not report within 15 s");
        return nullptr;
    }
    return window;
}

} // namespace poolscope::test
