#pragma once

namespace poolscope::cli {

/// One table of exit codes for every command (README "Exit codes", `poolscope --help`).
enum ExitCode
{
    ExitOk = 0,           // done; nothing found; the plan fits; nothing to do (dry runs too)
    ExitUsage = 1,        // bad command line: unknown command or option, a bad value, a bad input file
    ExitTargetFailed = 2, // a target (or the sandbox's servers) could not be reached, read or started
    ExitNo = 3,           // the answer is no: a finding at warning or above, a plan that does not fit, an
                          // action refused as a whole (read-only mode, no confirmation, unavailable)
    ExitPartial = 4, // an action ran but part of it failed (a session not ended, a statement failed, part
                     // of a recording not written: disk full or its size limit)
};

/// The table as `--help` prints it.
inline const char *exitCodeHelp()
{
    return "Exit codes (every command):\n"
           "  0  done; nothing found; the plan fits\n"
           "  1  bad command line: unknown command or option, a bad value or input file (a recording\n"
           "     that is missing, damaged or not a recording)\n"
           "  2  a target could not be reached, read or started (record: a target never answered)\n"
           "  3  the answer is no: findings (diagnose), the plan does not fit (plan), an action refused\n"
           "     as a whole (read-only mode, no confirmation, unavailable)\n"
           "  4  an action ran but part of it failed (terminate, pooler), or part of a recording was\n"
           "     not written (record: disk full or --max-size)\n";
}

} // namespace poolscope::cli
