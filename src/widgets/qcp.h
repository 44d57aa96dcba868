#pragma once

// qcustomplot.h uses the `signals` and `foreach` keywords, which QT_NO_KEYWORDS (on for our targets) removes.
// Include QCustomPlot through this header only.
#if defined(QT_NO_KEYWORDS) && !defined(signals)
#define signals Q_SIGNALS
#define POOLSCOPE_QCP_DEFINED_SIGNALS
#endif
#if defined(QT_NO_KEYWORDS) && !defined(foreach)
#define foreach Q_FOREACH
#define POOLSCOPE_QCP_DEFINED_FOREACH
#endif
#include <qcustomplot.h>
#ifdef POOLSCOPE_QCP_DEFINED_SIGNALS
#undef signals
#undef POOLSCOPE_QCP_DEFINED_SIGNALS
#endif
#ifdef POOLSCOPE_QCP_DEFINED_FOREACH
#undef foreach
#undef POOLSCOPE_QCP_DEFINED_FOREACH
#endif
