"""Start an Odoo server from the Python running the benchmarks, as
``odoo-bin`` does.

``python3 -m odoo`` cannot serve with ``--workers``: the server starts its
long-polling process as ``python3 <sys.argv[0]> gevent``, and under ``-m``
``sys.argv[0]`` is ``odoo/__main__.py``, which does not run as a script. The
process dies at once and the server starts it again, about ten times a
second, which takes most of a core (bench/scale.py's jobs ran 40 % slower
beside it). From this file, the long-polling process starts this file again.
"""

import os

# As odoo-bin: the server's time zone is UTC before anything imports time.
os.environ["TZ"] = "UTC"

import odoo  # noqa: E402

if __name__ == "__main__":
    odoo.cli.main()
