"""Build the end-to-end suite's frontend ahead of the suite: the build its first worker would make
(same environment, same `reflex run --env prod`, in the project's `.web`), started and stopped once.

`make test` runs this beside the unit and state suites, so that with HCPAY_E2E_REUSE_BUILD=1 every
end-to-end worker serves a copy of it from its first test (otherwise the first worker builds while
the other waits for it).

    .venv/bin/python -m tests.support.e2e_build
"""

from __future__ import annotations

import shutil
import sys

from tests.e2e import harness
from tests.support import server


def main() -> int:
    if not harness.BUILDS:
        print("HCPAY_E2E_REUSE_BUILD is set and a build exists: nothing to build", file=sys.stderr)
        return 0
    try:
        process = harness.start_app()
    except RuntimeError as exc:  # the build's own output, to the caller's log
        print(exc, file=sys.stderr)
        return 1
    server.stop(process)
    shutil.rmtree(harness.TMP, ignore_errors=True)  # the throwaway database and the app's log
    print(f"end-to-end frontend built in {server.ROOT / '.web'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
