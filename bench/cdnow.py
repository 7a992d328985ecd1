"""Load the CDNOW transactions that the ``lifetimes`` package ships into an
Odoo database, as customers and confirmed sale orders of the main company.

CDNOW (Fader & Hardie): every purchase of the 23,570 customers who made
their first purchase at the CD retailer CDNOW in the first quarter of 1997,
until the end of June 1998 (69,659 rows: customer, day, number of CDs,
dollar value). Each row becomes one confirmed sale order of that untaxed
amount, dated that day at noon; each customer one company partner.

    pip install lifetimes
    python3 -m odoo -d h16_cdnow --addons-path=addons -i relationship_mgmt \\
        --without-demo=all --stop-after-init
    python3 bench/cdnow.py --db h16_cdnow [--sample]

``--sample`` loads the 1/10 sample (2,357 customers) instead. The back-test
split used in bench/README.md is the textbook one: calibration up to
1997-09-30 (39 weeks), holdout October 1997 - June 1998 (39 weeks):
``python3 bench/backtest.py --db h16_cdnow --as-of 1997-09-30 --months 9``.
Writes with two ``INSERT ... SELECT`` from a temporary table; the orders
have no lines (the analytics read the order amounts).
"""

import argparse
import io
import sys
from pathlib import Path

from common import ADDONS_PATH, environment, load_registry

from odoo.tools import SQL


def cdnow_file(sample):
    import lifetimes  # noqa: PLC0415 (bench-only dependency)

    folder = Path(lifetimes.__file__).parent / "datasets"
    return folder / ("CDNOW_sample.txt" if sample else "CDNOW_master.txt")


def read_rows(path):
    """``(customer, yyyymmdd, cds, dollars)`` per line; the sample file has
    an extra leading column (the master file's customer id)."""
    rows = []
    for line in path.read_text().split("\n"):
        fields = line.split()
        if not fields or not fields[0].isdigit():
            continue
        if len(fields) == 5:
            fields = fields[1:]
        customer, day, cds, dollars = fields
        rows.append((int(customer), day, int(cds), float(dollars)))
    return rows


def load(env, rows):
    cr = env.cr
    company = env.ref("base.main_company")
    buffer = io.StringIO("".join(f"{c}\t{d}\t{n}\t{v}\n" for c, d, n, v in rows))
    cr.execute(
        "CREATE TEMPORARY TABLE cdnow (customer int, day date, cds int, "
        "dollars numeric) ON COMMIT DROP"
    )
    cr.copy_expert("COPY cdnow FROM STDIN", buffer)
    cr.execute(
        SQL(
            """
            CREATE TEMPORARY TABLE cdnow_partner ON COMMIT DROP AS
            SELECT customer, nextval('res_partner_id_seq') AS partner_id
              FROM (SELECT DISTINCT customer FROM cdnow) c;
            INSERT INTO res_partner
                   (id, name, complete_name, is_company, active,
                    type, commercial_partner_id, customer_rank, supplier_rank,
                    autopost_bills, lang, create_date, write_date)
            SELECT partner_id, 'CDNOW ' || lpad(customer::text, 5, '0'),
                   'CDNOW ' || lpad(customer::text, 5, '0'),
                   TRUE, TRUE, 'contact', partner_id, 1, 0, 'ask', 'en_US',
                   now(), now()
              FROM cdnow_partner;
            INSERT INTO sale_order
                   (name, partner_id, partner_invoice_id, partner_shipping_id,
                    company_id, currency_id, currency_rate, date_order, state,
                    amount_untaxed, amount_tax, amount_total, picking_policy,
                    create_date, write_date)
            SELECT 'CDNOW/' || lpad(
                       (row_number() OVER (ORDER BY t.day, t.customer))::text, 6, '0'),
                   p.partner_id, p.partner_id, p.partner_id, %(company)s,
                   %(currency)s, 1.0, t.day + time '12:00', 'sale',
                   t.dollars, 0, t.dollars, 'direct', now(), now()
              FROM cdnow t JOIN cdnow_partner p USING (customer)
            """,
            company=company.id,
            currency=company.currency_id.id,
        )
    )
    cr.execute("SELECT COUNT(*) FROM cdnow_partner")
    return cr.fetchone()[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    args = parser.parse_args(argv)
    rows = read_rows(cdnow_file(args.sample))
    registry = load_registry(args.db, args.addons_path)
    with environment(registry) as env:
        customers = load(env, rows)
        env.cr.commit()
    print(f"{customers:,} customers, {len(rows):,} confirmed orders loaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
