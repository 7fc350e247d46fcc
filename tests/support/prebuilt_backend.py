"""`reflex run --backend-only` serving a frontend that is already built, as the single-port
production mode serves its own: the compiled pages mounted beside the event socket.

A second e2e worker (and the PostgreSQL stage of `make test`) copies the first build's `.web`,
points its one backend address at its own port (`server.point_build_at`) and starts with this
instead of building the same pages again:

    python -m tests.support.prebuilt_backend run --env prod --backend-only --backend-port PORT ...
"""

from __future__ import annotations

import sys

from reflex.reflex import cli
from reflex.utils import exec as reflex_exec

_run_backend_prod = reflex_exec.run_backend_prod


def _with_frontend(host, port, loglevel, mount_frontend_compiled_app=False):
    """What `reflex run --env prod` calls last, with the compiled frontend mounted."""
    return _run_backend_prod(host, port, loglevel, mount_frontend_compiled_app=True)


if __name__ == "__main__":
    reflex_exec.run_backend_prod = _with_frontend
    sys.exit(cli(sys.argv[1:]))
