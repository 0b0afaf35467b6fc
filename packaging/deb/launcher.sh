#!/bin/sh
# /usr/bin/itip-agent, as the Debian package installs it: runs the program in
# /usr/lib/itip-agent with Node.
#
# An MTA runs this command once per mail. When the command cannot run at all
# (Node missing, the program's files missing), the fault lies
# with this host, not with the mail: exit 75 (EX_TEMPFAIL), so that Postfix
# and Exim keep the mail and try again, instead of 127 or 1, on which Postfix's
# pipe(8) bounces it.
#
# For `process` (the command an MTA runs), the same holds for every exit that
# is not the agent's decision about the mail: a crash (70, or 1 from Node
# itself), a usage error from a mistyped master.cf (64), an input/output error
# (74), death by a signal. They become 75, with a log line saying so. The
# decisions pass unchanged: 0 (done), 65 (no mail on stdin), 67 (unknown user,
# where unknownUsers is "refuse"), and 75 itself. Other commands keep their
# codes, which people and scripts read.
app=/usr/lib/itip-agent
# The installation's own copy can be moved for tests of this file.
[ -n "${ITIP_AGENT_LAUNCHER_APP:-}" ] && app=$ITIP_AGENT_LAUNCHER_APP

fail() {
  # A JSON log line on stderr, as the program's own; Postfix and Exim put it in their logs.
  printf '{"level":"error","msg":"%s","exitCode":75}\n' "$1" >&2
  exit 75
}

# Postfix runs pipe commands with PATH=/usr/bin:/bin; NodeSource installs /usr/bin/node.
node=$(command -v node 2>/dev/null) || fail "itip-agent cannot run: node is not installed (install Node.js 20 or later, e.g. NodeSource nodejs 20); the MTA keeps the mail and tries again"
[ -r "$app/bin/itip-agent" ] && [ -r "$app/package.json" ] || fail "itip-agent cannot run: $app/bin/itip-agent is missing (reinstall the itip-agent package); the MTA keeps the mail and tries again"
# Node's version is not checked here (that would start Node twice per mail):
# the package depends on nodejs (>= 20), and an older Node failing in `process`
# is mapped to 75 below like any other fault.

# The command's name: the first word that is not a global option or its value.
command=
skip=
for word in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case $word in
    --store | --config) skip=1 ;;
    -*) ;;
    *) command=$word; break ;;
  esac
done

if [ "$command" != process ]; then
  exec "$node" "$app/bin/itip-agent" "$@"
fi

"$node" "$app/bin/itip-agent" "$@"
code=$?
case $code in
  0 | 65 | 67 | 75) exit "$code" ;;
esac
if [ "$code" -gt 128 ]; then
  fail "itip-agent process was killed by signal $((code - 128)); the MTA keeps the mail and tries again"
fi
fail "itip-agent process failed with exit code $code (not a decision about this mail; see the log line above); the MTA keeps the mail and tries again"
