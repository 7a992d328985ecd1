"""Fill an Odoo 18 database with a realistic, deterministic customer history.

Usage::

    python3 bench/generate.py --db NAME --size S|M|L [--seed 42]

The database must have ``relationship_mgmt`` and ``relationship_brm`` installed,
without demo data. A few products are created through the ORM; everything else
is written with bulk ``INSERT ... SELECT`` statements (a few per table, no ORM
loop), in one transaction:

- customers (``res_partner`` companies, half of them with a contact person);
- quotations and sale orders with 1-3 lines of service products (mostly
  confirmed, some cancelled or left as quotations);
- one posted customer invoice per confirmed order and ~5 % credit notes, with
  their product and receivable (payment term) lines, linked to the order lines;
- for every settled or partly paid document, a bank transfer (bank statement
  line and its entry) reconciled with it (``account_partial_reconcile``, and
  ``account_full_reconcile`` when settled in full): most invoices paid on time,
  some late, some overdue or partly paid;
- emails and notes on the customers.

Customers differ in purchase rhythm and recency: regular buyers, lapsed ones
whose last order is 7-24 months old, new ones with only a fresh quotation and
prospects without any document, over the last three years relative to today.

Rows are stored the way Odoo stores them (stored computed fields, names from
the journals' and sale order sequences, ``*_signed`` amounts in company
currency, ``parent_state``, matching numbers...) and ids come from the tables'
sequences, so the ORM can keep working on the database afterwards. Random
choices hash stable keys with ``hashint8extended``: the same seed on the same
day gives the same data.

The writing is the demo data's generator
(``relationship_mgmt/demo/generator.py``); this file keeps what differs: the
sizes, the customers and their purchase rhythms, order states and dates,
products, credit notes and messages.
"""

import argparse
import sys
import time

from common import ADDONS_PATH, environment, load_registry, vacuum_analyze

from odoo.tools import SQL

from odoo.addons.relationship_mgmt.demo.generator import TABLES, DemoDataGenerator

SIZES = {
    "S": {"customers": 2_000, "orders": 20_000},
    "M": {"customers": 20_000, "orders": 200_000},
    "L": {"customers": 100_000, "orders": 1_000_000},
}
# Share of customers of each kind (the rest are active buyers).
PROSPECT_SHARE = 0.03  # no document at all
NEW_SHARE = 0.05  # a single quotation from the last three weeks
LAPSED_SHARE = 0.17  # last order 7 to 24 months ago
CONTACT_SHARE = 0.5  # customers with a contact person who places orders
REFUND_SHARE = 0.055  # invoices followed by a credit note
HISTORY_DAYS = 1095  # first orders up to three years ago
MAX_MESSAGES = 6  # emails and notes per customer: 0 to MAX_MESSAGES - 1
# (reference, name, sales price, cost, category) of the service products sold
# (no category: the root one).
PRODUCTS = [
    ("BENCH-SRV-CONS", "Consulting day", 950.0, 520.0, None),
    ("BENCH-SRV-AUDIT", "Process audit", 2400.0, 1300.0, None),
    ("BENCH-SRV-TRAIN", "Training session", 680.0, 310.0, None),
    ("BENCH-SRV-SUPP", "Support plan (month)", 240.0, 95.0, None),
    ("BENCH-SRV-LIC", "Software subscription (month)", 120.0, 18.0, None),
    ("BENCH-SRV-INST", "Installation", 450.0, 260.0, None),
    ("BENCH-SRV-MAINT", "Maintenance visit", 310.0, 170.0, None),
    ("BENCH-SRV-DEV", "Custom development (hour)", 110.0, 62.0, None),
]
COMPANY_WORDS = [
    "Nordwind", "Blue Harbor", "Alpine", "Sunrise", "Iberia", "Danube", "Baltic",
    "Redwood", "Silverline", "Oakridge", "Green Valley", "Atlas", "Meridian",
    "Pioneer", "Summit", "Coastal", "Granite", "Horizon", "Keystone", "Lakeside",
]  # fmt: skip
ACTIVITIES = [
    "Logistics", "Foods", "Engineering", "Textiles", "Pharma", "Retail",
    "Construction", "Software", "Furniture", "Hotels", "Printing", "Motors",
]  # fmt: skip
LEGAL_FORMS = ["Ltd", "GmbH", "SA", "Inc", "BV", "SRL", "OOD", "SL"]
FIRST_NAMES = [
    "Anna", "Boris", "Carmen", "David", "Elena", "Felix", "Greta", "Hugo",
    "Irina", "Jonas", "Katya", "Luis", "Maria", "Nikolai", "Olga", "Pablo",
]  # fmt: skip
LAST_NAMES = [
    "Petrova", "Schmidt", "Garcia", "Dubois", "Rossi", "Jansen", "Ivanov",
    "Novak", "Lopez", "Weber", "Marino", "Peeters", "Georgiev", "Martin",
]  # fmt: skip
COUNTRY_CODES = ["US", "US", "US", "BE", "DE", "FR", "ES", "BG", "NL", "IT"]
MESSAGE_SUBJECTS = [
    "Question about our last invoice",
    "Delivery schedule",
    "Request for a quotation",
    "Meeting notes",
    "Follow-up call",
    "Contract renewal",
]


class BenchDataGenerator(DemoDataGenerator):
    """Writes one size of benchmark data into the main company of ``env``.

    The demo data's generator with the bench's customers (purchase rates
    scaled to the size's order count), order states and dates, products,
    credit notes of a whole order line and messages; no interactions or
    satisfaction answers.
    """

    PRODUCTS = PRODUCTS
    CATEGORIES = {}
    INVOICE_DAYS = 6
    LINE_QTY_SPREAD = 20
    LINK_REFUND_LINES = False
    REFUND_SHARE = REFUND_SHARE
    MESSAGE_ID_PREFIX = "bench"

    def __init__(self, env, size, seed=42):
        if size not in SIZES:
            raise ValueError(f"Unknown size {size!r}: choose one of {', '.join(SIZES)}")
        super().__init__(env, customers=SIZES[size]["customers"], seed=seed)
        self.size = size
        self.orders = SIZES[size]["orders"]

    def _start(self):
        self.cr.execute("SELECT 1 FROM res_partner WHERE ref LIKE 'BENCH-C%' LIMIT 1")
        if self.cr.fetchone():
            raise RuntimeError(
                f"Database {self.cr.dbname} already holds benchmark customers: "
                "generate into a fresh copy of a database with the addons installed."
            )
        self.cr.execute("SET LOCAL work_mem = '256MB'")
        return True

    def _create_records(self):
        return {}

    def _prepare(self):
        super()._prepare()
        self.country_ids = [
            self.env["res.country"].search([("code", "=", code)], limit=1).id
            or self.company.country_id.id
            for code in COUNTRY_CODES
        ]

    def _plan_customers(self):
        """``plan_customer``: kind, activity span (days ago), purchase rate,
        payment habit and payment term of each customer; then the number of
        orders, scaled so that the total hits the size's order count (the
        columns the documents read: ``DemoDataGenerator._plan_customers``)."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE plan_customer AS
                WITH draw AS (
                    SELECT n,
                           pg_temp.plan_rand(n, 1) AS r_kind,
                           60 + floor(pg_temp.plan_rand(n, 2)
                                      * (%(history)s - 59))::int AS first_ago,
                           pg_temp.plan_rand(n, 3) AS r_last,
                           -ln(1.0 - pg_temp.plan_rand(n, 4)) AS rate,
                           pg_temp.plan_rand(n, 5) AS r_payer,
                           pg_temp.plan_rand(n, 6) AS r_term,
                           pg_temp.plan_rand(n, 7) < %(contact_share)s AS has_contact,
                           pg_temp.plan_rand(n, 9) AS r_name
                      FROM generate_series(1, %(count)s) n
                ), kind AS (
                    SELECT draw.*,
                           CASE WHEN r_kind < %(prospect)s THEN 'prospect'
                                WHEN r_kind < %(prospect)s + %(new)s THEN 'new'
                                WHEN r_kind < %(prospect)s + %(new)s + %(lapsed)s
                                THEN 'lapsed'
                                ELSE 'active'
                           END AS kind
                      FROM draw
                )
                SELECT n,
                       nextval('res_partner_id_seq')::int AS id,
                       CASE WHEN has_contact
                            THEN nextval('res_partner_id_seq')::int
                       END AS contact_id,
                       kind,
                       CASE WHEN kind IN ('active', 'lapsed') THEN first_ago
                            ELSE floor(r_last * 20)::int
                       END AS first_ago,
                       CASE kind
                            WHEN 'active' THEN least(first_ago,
                                                     floor(r_last * r_last * 45)::int)
                            WHEN 'lapsed' THEN least(first_ago,
                                                     210 + floor(r_last * 520)::int)
                            ELSE floor(r_last * 20)::int
                       END AS last_ago,
                       rate,
                       CASE WHEN r_payer < 0.65 THEN 'good'
                            WHEN r_payer < 0.88 THEN 'late'
                            ELSE 'bad'
                       END AS payer,
                       (ARRAY[15, 30, 30, 30, 45, 60])[1 + floor(r_term * 6)::int]
                           AS term_days,
                       (%(words)s::varchar[])[1 + floor(r_name * %(n_words)s)::int]
                       || ' '
                       || (%(activities)s::varchar[])[1 + floor(
                              pg_temp.plan_rand(n, 10) * %(n_activities)s)::int]
                       || ' '
                       || (%(forms)s::varchar[])[
                              1 + floor(pg_temp.plan_rand(n, 11) * %(n_forms)s)::int]
                       || ' (' || n || ')' AS name,
                       (%(first_names)s::varchar[])[
                           1 + floor(pg_temp.plan_rand(n, 12) * %(n_first)s)::int]
                       AS first_name,
                       (%(last_names)s::varchar[])[
                           1 + floor(pg_temp.plan_rand(n, 13) * %(n_last)s)::int]
                       AS last_name,
                       (%(countries)s::int[])[
                           1 + floor(pg_temp.plan_rand(n, 14) * %(n_countries)s)::int]
                       AS country_id,
                       0 AS order_count,
                       0 AS profile,
                       %(user)s AS user_id,
                       'BENCH-C' || lpad(n::text, 6, '0') AS ref,
                       'orders@customer' || n || '.example.com' AS email,
                       NULL::varchar AS contact_email,
                       NULL::varchar AS city,
                       'en_US'::varchar AS lang
                  FROM kind
                 ORDER BY n
                """,
                history=HISTORY_DAYS,
                contact_share=CONTACT_SHARE,
                count=self.customers,
                prospect=PROSPECT_SHARE,
                new=NEW_SHARE,
                lapsed=LAPSED_SHARE,
                words=COMPANY_WORDS,
                n_words=len(COMPANY_WORDS),
                activities=ACTIVITIES,
                n_activities=len(ACTIVITIES),
                forms=LEGAL_FORMS,
                n_forms=len(LEGAL_FORMS),
                first_names=FIRST_NAMES,
                n_first=len(FIRST_NAMES),
                last_names=LAST_NAMES,
                n_last=len(LAST_NAMES),
                countries=self.country_ids,
                n_countries=len(self.country_ids),
                user=self.user.id,
            )
        )
        # Orders per customer: one for new customers, 1 + rate x active span for
        # buyers (exponential rates: a few heavy buyers, many occasional ones),
        # scaled to the size's total.
        self.cr.execute(
            SQL(
                """
                UPDATE plan_customer c
                   SET order_count = CASE
                           WHEN c.kind = 'prospect' THEN 0
                           WHEN c.kind = 'new' THEN 1
                           ELSE 1 + floor(c.rate * (c.first_ago - c.last_ago + 30)
                                          * f.factor
                                          + pg_temp.plan_rand(c.n, 8))::int
                       END,
                       contact_email = lower(c.first_name || '.' || c.last_name)
                                       || '@customer' || c.n || '.example.com'
                  FROM (SELECT greatest(0.0, %(orders)s
                                        - COUNT(*) FILTER (WHERE kind != 'prospect'))
                               / NULLIF(SUM(rate * (first_ago - last_ago + 30))
                                        FILTER (WHERE kind IN ('active', 'lapsed')),
                                        0) AS factor
                          FROM plan_customer) f
                """,
                orders=self.orders,
            )
        )
        self.cr.execute("CREATE INDEX ON plan_customer (id)")

    def _order_state_sql(self):
        """New customers only have a quotation; a quarter of the last month's
        orders and 2 % of the others are quotations, 6 % are cancelled."""
        return SQL(
            """
            CASE WHEN dated.kind = 'new' THEN 'draft'
                 WHEN dated.days_ago < 30 AND dated.r_state < 0.25 THEN 'draft'
                 WHEN dated.r_state < 0.06 THEN 'cancel'
                 WHEN dated.r_state < 0.08 THEN 'draft'
                 ELSE 'sale'
            END
            """
        )

    def _order_days_ago_sql(self):
        """Orders spread over the customer's active span, one per slot."""
        return SQL(
            """
            CASE WHEN c.kind = 'new' THEN c.last_ago
                 ELSE round(c.first_ago
                            - (k - 1 + pg_temp.plan_rand(c.n::bigint * 100000 + k, 20))
                              / c.order_count * (c.first_ago - c.last_ago))::int
            END
            """
        )

    def _line_product_sql(self):
        """Any product, uniformly."""
        return SQL(
            "floor(pg_temp.plan_rand(o.okey * 4 + k, 32) * %s)::int", len(self.products)
        )

    def _refund_amount_sql(self):
        """Credit notes refund the order's first line in full."""
        return SQL("l.subtotal")

    def _message_customers_sql(self):
        """Active and lapsed customers (not new ones and prospects)."""
        return SQL("c.kind IN ('active', 'lapsed')")

    def _message_text_sql(self):
        return SQL(
            """
            SELECT (%(subjects)s::varchar[])[
                       1 + floor(pg_temp.plan_rand(m.key, 52) * %(n_subjects)s)::int]
                   AS subject,
                   CASE WHEN flag.is_email THEN 'Message from ' || c.name
                        ELSE 'Internal note about ' || c.name END AS body
            """,
            subjects=MESSAGE_SUBJECTS,
            n_subjects=len(MESSAGE_SUBJECTS),
        )


def generate(registry, size, seed=42, analyze=True):
    """Generate ``size`` into the registry's database and commit; return the
    rows inserted per table and the seconds taken."""
    start = time.perf_counter()
    with environment(registry) as env:
        counts = BenchDataGenerator(env, size, seed=seed).run()
        env.cr.commit()
    if analyze:
        vacuum_analyze(registry.db_name, TABLES)
    return counts, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database to fill")
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--addons-path", default=ADDONS_PATH)
    args = parser.parse_args(argv)
    registry = load_registry(args.db, args.addons_path)
    counts, seconds = generate(registry, args.size, seed=args.seed)
    width = max(len(table) for table in counts)
    for table, count in counts.items():
        print(f"{table:<{width}}  {count:>10,}")
    print(f"Generated size {args.size} into {args.db} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
