#pragma once

#include "support/testsupport.h"

#include <QObject>
#include <QTest>

namespace poolscope::test {

/// Base of the integration tests: one sandbox (PostgreSQL + PgBouncer on loopback) for the whole test
/// binary, started in initTestCase and stopped in cleanupTestCase. Qt Test finds these private slots through
/// the subclass's meta-object.
class SandboxTestCase : public QObject
{
    Q_OBJECT
protected:
    std::unique_ptr<sandbox::Sandbox> m_sandbox;

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        m_sandbox = startSandbox(&error);
        QVERIFY2(m_sandbox, qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }
};

} // namespace poolscope::test
