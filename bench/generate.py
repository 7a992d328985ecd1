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
"""

import argparse
import logging
import sys
import time

from common import ADDONS_PATH, environment, load_registry, vacuum_analyze

from odoo import fields
from odoo.tools import SQL

_logger = logging.getLogger("bench.generate")

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
# (reference, name, sales price, cost) of the service products sold.
PRODUCTS = [
    ("BENCH-SRV-CONS", "Consulting day", 950.0, 520.0),
    ("BENCH-SRV-AUDIT", "Process audit", 2400.0, 1300.0),
    ("BENCH-SRV-TRAIN", "Training session", 680.0, 310.0),
    ("BENCH-SRV-SUPP", "Support plan (month)", 240.0, 95.0),
    ("BENCH-SRV-LIC", "Software subscription (month)", 120.0, 18.0),
    ("BENCH-SRV-INST", "Installation", 450.0, 260.0),
    ("BENCH-SRV-MAINT", "Maintenance visit", 310.0, 170.0),
    ("BENCH-SRV-DEV", "Custom development (hour)", 110.0, 62.0),
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
# Tables the generator fills (vacuumed and analysed afterwards).
TABLES = (
    "res_partner",
    "sale_order",
    "sale_order_line",
    "account_move",
    "account_move_line",
    "account_partial_reconcile",
    "account_full_reconcile",
    "account_bank_statement_line",
    "sale_order_line_invoice_rel",
    "mail_message",
)


class BenchDataGenerator:
    """Writes one size of benchmark data into the main company of ``env``.

    Temporary tables (``bench_*``, dropped at commit) hold the plan of each
    table with ids already drawn from the real sequences; the real tables are
    then filled from them with one statement each.
    """

    def __init__(self, env, size, seed=42):
        if size not in SIZES:
            raise ValueError(f"Unknown size {size!r}: choose one of {', '.join(SIZES)}")
        self.env = env
        self.cr = env.cr
        self.size = size
        self.seed = seed
        self.customers = SIZES[size]["customers"]
        self.orders = SIZES[size]["orders"]
        self.company = env.ref("base.main_company")
        self.now = fields.Datetime.now()
        self.today = fields.Date.context_today(
            env["res.partner"].with_company(self.company)
        )

    # ------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------

    def run(self):
        """Generate everything; return ``{table: rows inserted}``."""
        self._check_empty()
        self._timed(self._prepare)
        self.cr.execute("SET LOCAL work_mem = '256MB'")
        self._create_random_function()
        for step in (
            self._plan_customers,
            self._plan_orders,
            self._plan_invoices,
            self._plan_payments,
            self._plan_move_lines,
        ):
            self._timed(step)
        counts = {
            "res_partner": self._timed(self._insert_partners),
            "sale_order": self._timed(self._insert_orders),
            "sale_order_line": self._timed(self._insert_order_lines),
        }
        counts.update(self._timed(self._insert_accounting))
        counts["mail_message"] = self._timed(self._insert_messages)
        self._advance_order_sequence()
        self.env.invalidate_all()
        return counts

    def _timed(self, step):
        start = time.perf_counter()
        result = step()
        _logger.info("%s: %.1f s", step.__name__, time.perf_counter() - start)
        return result

    def _check_empty(self):
        self.cr.execute("SELECT 1 FROM res_partner WHERE ref LIKE 'BENCH-C%' LIMIT 1")
        if self.cr.fetchone():
            raise RuntimeError(
                f"Database {self.cr.dbname} already holds benchmark customers: "
                "generate into a fresh copy of a database with the addons installed."
            )

    # ------------------------------------------------------------------
    # ORM set-up: products and the records every row refers to
    # ------------------------------------------------------------------

    def _prepare(self):
        env = self.env
        company = self.company
        self.products = self._ensure_products()
        journal = env["account.journal"].with_company(company)
        self.sale_journal = journal.search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        self.bank_journal = journal.search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        if not self.sale_journal or not self.bank_journal:
            raise RuntimeError(
                f"{company.name} needs a sale and a bank journal (install a chart of "
                "accounts) before generating data."
            )
        partner = env["res.partner"].with_company(company)
        self.receivable_account = partner.new({}).property_account_receivable_id
        self.income_account = (
            self.products[0]._get_product_accounts()["income"]
            or self.sale_journal.default_account_id
        )
        self.bank_account = self.bank_journal.default_account_id
        self.user = env.ref("base.user_admin")
        self.team = env.ref(
            "sales_team.team_sales_department", raise_if_not_found=False
        )
        self.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        self.order_sequence = env["ir.sequence"].search(
            [("code", "=", "sale.order"), ("company_id", "in", [company.id, False])],
            order="company_id",
            limit=1,
        )
        self.country_ids = [
            env["res.country"].search([("code", "=", code)], limit=1).id
            or company.country_id.id
            for code in COUNTRY_CODES
        ]
        self.comment_subtype = env.ref("mail.mt_comment")
        self.note_subtype = env.ref("mail.mt_note")

    def _ensure_products(self):
        """The service products sold (created through the ORM once, no taxes
        so that untaxed and total amounts are the same)."""
        Product = self.env["product.product"].with_company(self.company)
        products = Product
        for ref, name, price, cost in PRODUCTS:
            product = Product.search([("default_code", "=", ref)], limit=1)
            if not product:
                product = Product.create(
                    {
                        "name": name,
                        "default_code": ref,
                        "type": "service",
                        "list_price": price,
                        "standard_price": cost,
                        "taxes_id": [(5, 0, 0)],
                        "invoice_policy": "order",
                    }
                )
            products |= product
        self.env.flush_all()
        return products

    # ------------------------------------------------------------------
    # Plans (temporary tables)
    # ------------------------------------------------------------------

    def _create_random_function(self):
        """``pg_temp.bench_rand(key, salt)``: a uniform [0, 1) number that only
        depends on the key, the salt and the seed."""
        self.cr.execute(
            SQL(
                """
                CREATE FUNCTION pg_temp.bench_rand(key bigint, salt integer)
                RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
                    SELECT (hashint8extended(key, salt::bigint * 7919 + %s)
                            & 4503599627370495)::float8 / 4503599627370496.0
                $$
                """,
                self.seed,
            )
        )

    def _plan_customers(self):
        """``bench_customer``: kind, activity span (days ago), purchase rate,
        payment habit and payment term of each customer; then the number of
        orders, scaled so that the total hits the size's order count."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_customer ON COMMIT DROP AS
                WITH draw AS (
                    SELECT n,
                           pg_temp.bench_rand(n, 1) AS r_kind,
                           60 + floor(pg_temp.bench_rand(n, 2)
                                      * (%(history)s - 59))::int AS first_ago,
                           pg_temp.bench_rand(n, 3) AS r_last,
                           -ln(1.0 - pg_temp.bench_rand(n, 4)) AS rate,
                           pg_temp.bench_rand(n, 5) AS r_payer,
                           pg_temp.bench_rand(n, 6) AS r_term,
                           pg_temp.bench_rand(n, 7) < %(contact_share)s AS has_contact,
                           pg_temp.bench_rand(n, 9) AS r_name
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
                              pg_temp.bench_rand(n, 10) * %(n_activities)s)::int]
                       || ' '
                       || (%(forms)s::varchar[])[
                              1 + floor(pg_temp.bench_rand(n, 11) * %(n_forms)s)::int]
                       || ' (' || n || ')' AS name,
                       (%(first_names)s::varchar[])[
                           1 + floor(pg_temp.bench_rand(n, 12) * %(n_first)s)::int]
                       AS first_name,
                       (%(last_names)s::varchar[])[
                           1 + floor(pg_temp.bench_rand(n, 13) * %(n_last)s)::int]
                       AS last_name,
                       (%(countries)s::int[])[
                           1 + floor(pg_temp.bench_rand(n, 14) * %(n_countries)s)::int]
                       AS country_id,
                       0 AS order_count
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
            )
        )
        # Orders per customer: one for new customers, 1 + rate x active span for
        # buyers (exponential rates: a few heavy buyers, many occasional ones),
        # scaled to the size's total.
        self.cr.execute(
            SQL(
                """
                UPDATE bench_customer c
                   SET order_count = CASE
                           WHEN c.kind = 'prospect' THEN 0
                           WHEN c.kind = 'new' THEN 1
                           ELSE 1 + floor(c.rate * (c.first_ago - c.last_ago + 30)
                                          * f.factor
                                          + pg_temp.bench_rand(c.n, 8))::int
                       END
                  FROM (SELECT greatest(0.0, %(orders)s
                                        - COUNT(*) FILTER (WHERE kind != 'prospect'))
                               / NULLIF(SUM(rate * (first_ago - last_ago + 30))
                                        FILTER (WHERE kind IN ('active', 'lapsed')),
                                        0) AS factor
                          FROM bench_customer) f
                """,
                orders=self.orders,
            )
        )
        self.cr.execute("CREATE INDEX ON bench_customer (id)")

    def _plan_orders(self):
        """``bench_order`` (ids in date order) and ``bench_order_line``."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_order ON COMMIT DROP AS
                SELECT nextval('sale_order_id_seq')::int AS id, planned.*
                  FROM (
                    SELECT dated.*,
                           CASE WHEN dated.kind = 'new' THEN 'draft'
                                WHEN dated.days_ago < 30 AND dated.r_state < 0.25
                                THEN 'draft'
                                WHEN dated.r_state < 0.06 THEN 'cancel'
                                WHEN dated.r_state < 0.08 THEN 'draft'
                                ELSE 'sale'
                           END AS state,
                           date_trunc('second', least(
                               (%(today)s::date - dated.days_ago)
                               + interval '8 hours'
                               + pg_temp.bench_rand(dated.okey, 22)
                                 * interval '10 hours',
                               %(now)s::timestamp - interval '1 minute'
                           )) AS date_order,
                           CASE WHEN dated.contact_id IS NOT NULL
                                     AND pg_temp.bench_rand(dated.okey, 23) < 0.4
                                THEN dated.contact_id
                                ELSE dated.commercial_id
                           END AS partner_id
                      FROM (
                        SELECT c.n::bigint * 100000 + k AS okey,
                               c.id AS commercial_id,
                               c.contact_id,
                               c.kind,
                               c.payer,
                               c.term_days,
                               c.name AS commercial_name,
                               CASE WHEN c.kind = 'new' THEN c.last_ago
                                    ELSE round(c.first_ago
                                               - (k - 1 + pg_temp.bench_rand(
                                                      c.n::bigint * 100000 + k, 20))
                                                 / c.order_count
                                                 * (c.first_ago - c.last_ago))::int
                               END AS days_ago,
                               pg_temp.bench_rand(c.n::bigint * 100000 + k, 21)
                                   AS r_state
                          FROM bench_customer c
                         CROSS JOIN LATERAL generate_series(1, c.order_count) k
                      ) dated
                     ORDER BY dated.days_ago DESC, dated.okey
                  ) planned
                """,
                today=self.today,
                now=self.now,
            )
        )
        # Confirmed orders are invoiced 0-5 days after the order date.
        self.cr.execute(
            SQL(
                """
                ALTER TABLE bench_order ADD COLUMN invoice_date date;
                UPDATE bench_order
                   SET invoice_date = date_order::date
                                      + floor(pg_temp.bench_rand(okey, 24) * 6)::int
                 WHERE state = 'sale';
                UPDATE bench_order SET invoice_date = NULL
                 WHERE invoice_date > %(today)s;
                CREATE INDEX ON bench_order (id);
                """,
                today=self.today,
            )
        )
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_product ON COMMIT DROP AS
                SELECT idx - 1 AS idx, product_id, uom_id, name, price, cost
                  FROM unnest(%(ids)s::int[], %(uoms)s::int[], %(names)s::varchar[],
                              %(prices)s::numeric[], %(costs)s::numeric[])
                       WITH ORDINALITY AS p(product_id, uom_id, name, price, cost, idx)
                """,
                ids=self.products.ids,
                uoms=[product.uom_id.id for product in self.products],
                names=[product.name for product in self.products],
                prices=[product.list_price for product in self.products],
                costs=[product.standard_price for product in self.products],
            )
        )
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_order_line ON COMMIT DROP AS
                SELECT nextval('sale_order_line_id_seq')::int AS id, lines.*
                  FROM (
                    SELECT drawn.order_id, drawn.position, p.product_id, p.uom_id,
                           p.name, p.cost, drawn.qty,
                           price.unit AS price_unit,
                           round(drawn.qty * price.unit, 2) AS subtotal
                      FROM (
                        SELECT o.id AS order_id, k AS position,
                               (1 + floor(pg_temp.bench_rand(o.okey * 4 + k, 31) ^ 2
                                          * 20))::numeric AS qty,
                               floor(pg_temp.bench_rand(o.okey * 4 + k, 32)
                                     * %(n_products)s)::int AS product_idx,
                               pg_temp.bench_rand(o.okey * 4 + k, 33) AS r_price
                          FROM bench_order o
                         CROSS JOIN LATERAL generate_series(
                               1, 1 + floor(pg_temp.bench_rand(o.okey, 30) * 3)::int) k
                      ) drawn
                      JOIN bench_product p ON p.idx = drawn.product_idx
                     CROSS JOIN LATERAL (
                           SELECT round(
                               (p.price * (0.9 + 0.2 * drawn.r_price))::numeric, 2
                           ) AS unit) price
                     ORDER BY drawn.order_id, drawn.position
                  ) lines;
                CREATE INDEX ON bench_order_line (order_id);
                CREATE TEMP TABLE bench_order_total ON COMMIT DROP AS
                SELECT order_id, SUM(subtotal) AS amount,
                       SUM(subtotal - qty * cost) AS margin
                  FROM bench_order_line
                 GROUP BY order_id;
                CREATE INDEX ON bench_order_total (order_id);
                """,
                n_products=len(self.products),
            )
        )
        self._plan_order_names()

    def _plan_invoices(self):
        """``bench_invoice``: an invoice per invoiced order, a credit note for
        some of them (refunding the order's first line), names per journal
        prefix and year, and how each one is settled."""
        self.cr.execute(
            """
            CREATE TEMP TABLE bench_invoice ON COMMIT DROP AS
            SELECT nextval('account_move_id_seq')::int AS id, planned.*
              FROM (
                SELECT o.okey * 2 AS ikey,
                       'out_invoice'::varchar AS move_type,
                       o.id AS order_id,
                       o.name AS origin,
                       o.commercial_id,
                       o.commercial_name,
                       o.payer,
                       o.invoice_date,
                       o.invoice_date + o.term_days AS date_due,
                       t.amount,
                       NULL::int AS refund_line_id
                  FROM bench_order o
                  JOIN bench_order_total t ON t.order_id = o.id
                 WHERE o.invoice_date IS NOT NULL
                 ORDER BY o.invoice_date, o.okey
              ) planned
            """
        )
        self.cr.execute(
            SQL(
                """
                INSERT INTO bench_invoice
                SELECT nextval('account_move_id_seq')::int, planned.*
                  FROM (
                    SELECT i.ikey + 1, 'out_refund', i.order_id, i.origin,
                           i.commercial_id, i.commercial_name, i.payer,
                           refund.invoice_date, refund.invoice_date, l.subtotal, l.id
                      FROM bench_invoice i
                     CROSS JOIN LATERAL (
                           SELECT i.invoice_date + 3
                                  + floor(pg_temp.bench_rand(i.ikey, 41) * 28)::int
                                  AS invoice_date) refund
                      JOIN bench_order_line l
                        ON l.order_id = i.order_id AND l.position = 1
                     WHERE pg_temp.bench_rand(i.ikey, 40) < %(refund_share)s
                       AND refund.invoice_date <= %(today)s
                     ORDER BY refund.invoice_date, i.ikey
                  ) planned
                """,
                refund_share=REFUND_SHARE,
                today=self.today,
            )
        )
        self._plan_settlements()
        self._plan_document_names()

    def _plan_settlements(self):
        """When and how much of each document is settled. Good payers pay 92 %
        of their invoices by the due date, late payers 35 % (the others 1-75
        days late), bad payers 30 % on time, 40 % 10-120 days late and never
        pay the rest. A document settled after today is open, and 15 % of the
        open invoices older than 10 days are partly paid. Credit notes are
        refunded within 10 days."""
        self.cr.execute(
            SQL(
                """
                ALTER TABLE bench_invoice
                    ADD COLUMN payment_state varchar,
                    ADD COLUMN pay_date date,
                    ADD COLUMN paid_amount numeric,
                    ADD COLUMN sequence_prefix varchar,
                    ADD COLUMN sequence_number int,
                    ADD COLUMN name varchar;
                WITH drawn AS (
                    SELECT id, move_type, invoice_date, date_due, amount, payer,
                           pg_temp.bench_rand(ikey, 42) AS r_habit,
                           pg_temp.bench_rand(ikey, 43) AS r_days,
                           pg_temp.bench_rand(ikey, 44) AS r_partial,
                           pg_temp.bench_rand(ikey, 45) AS r_share
                      FROM bench_invoice
                ), settled AS (
                    SELECT drawn.*,
                           CASE WHEN move_type = 'out_refund'
                                THEN invoice_date + floor(r_days * 10)::int
                                WHEN (payer = 'good' AND r_habit < 0.92)
                                     OR (payer = 'late' AND r_habit < 0.35)
                                     OR (payer = 'bad' AND r_habit < 0.30)
                                THEN invoice_date + floor(
                                     r_days * (date_due - invoice_date + 1))::int
                                WHEN payer = 'good' THEN date_due + 1
                                                         + floor(r_days * 20)::int
                                WHEN payer = 'late' THEN date_due + 1
                                                         + floor(r_days * 75)::int
                                WHEN r_habit < 0.70 THEN date_due + 10
                                                         + floor(r_days * 110)::int
                           END AS settle_date
                      FROM drawn
                ), judged AS (
                    SELECT settled.*,
                           CASE WHEN settle_date <= %(today)s THEN 'paid'
                                WHEN move_type = 'out_invoice'
                                     AND %(today)s - invoice_date > 10
                                     AND r_partial < 0.15
                                THEN 'partial'
                                ELSE 'not_paid'
                           END AS payment_state
                      FROM settled
                )
                UPDATE bench_invoice i
                   SET payment_state = j.payment_state,
                       pay_date = CASE j.payment_state
                           WHEN 'paid' THEN j.settle_date
                           WHEN 'partial' THEN j.invoice_date + floor(
                               (%(today)s - j.invoice_date) * j.r_share)::int
                       END,
                       paid_amount = CASE j.payment_state
                           WHEN 'paid' THEN j.amount
                           WHEN 'partial'
                           THEN round((j.amount * (0.3 + 0.4 * j.r_share))::numeric, 2)
                           ELSE 0.0
                       END
                  FROM judged j
                 WHERE j.id = i.id
                """,
                today=self.today,
            )
        )

    def _plan_document_names(self):
        """``INV/2025/00042``-style names: numbered per journal prefix and year
        in date order, after the journal's existing documents."""
        self.cr.execute(
            SQL(
                """
                WITH prefixed AS (
                    SELECT id, invoice_date,
                           CASE move_type WHEN 'out_refund' THEN 'R' ELSE '' END
                           || %(code)s || '/' || extract(year FROM invoice_date)::int
                           || '/' AS prefix
                      FROM bench_invoice
                ), numbered AS (
                    SELECT p.id, p.prefix,
                           COALESCE(last.number, 0)
                           + row_number() OVER (PARTITION BY p.prefix
                                                ORDER BY p.invoice_date, p.id) AS number
                      FROM prefixed p
                      LEFT JOIN (SELECT sequence_prefix, MAX(sequence_number) AS number
                                   FROM account_move
                                  WHERE journal_id = %(journal)s
                                  GROUP BY sequence_prefix) last
                        ON last.sequence_prefix = p.prefix
                )
                UPDATE bench_invoice i
                   SET sequence_prefix = n.prefix,
                       sequence_number = n.number,
                       name = n.prefix || lpad(n.number::text,
                                               greatest(5, length(n.number::text)), '0')
                  FROM numbered n
                 WHERE n.id = i.id;
                CREATE INDEX ON bench_invoice (id);
                """,
                code=self.sale_journal.code,
                journal=self.sale_journal.id,
            )
        )

    def _plan_order_names(self):
        """Sale order names from the ``sale.order`` sequence, in id order."""
        sequence = self.order_sequence
        prefix, suffix = sequence._get_prefix_suffix()
        self.order_name_start = sequence.number_next_actual
        self.cr.execute(
            SQL(
                """
                ALTER TABLE bench_order ADD COLUMN number bigint,
                                        ADD COLUMN name varchar;
                UPDATE bench_order o
                   SET number = n.number,
                       name = %(prefix)s
                              || lpad(n.number::text,
                                      greatest(%(padding)s, length(n.number::text)),
                                      '0')
                              || %(suffix)s
                  FROM (SELECT id, %(start)s - 1 + row_number() OVER (ORDER BY id)
                                   AS number
                          FROM bench_order) n
                 WHERE n.id = o.id
                """,
                prefix=prefix or "",
                suffix=suffix or "",
                padding=sequence.padding,
                start=self.order_name_start,
            )
        )

    def _plan_payments(self):
        """``bench_payment``: one bank transfer per settled or partly paid
        document (a bank statement line and its entry, reconciled with the
        document the way the reconciliation of a bank statement leaves it), its
        partial reconciliation and, when the document is settled in full, its
        full reconciliation; bank entry names per year."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_payment ON COMMIT DROP AS
                SELECT nextval('account_move_id_seq')::int AS id,
                       nextval('account_bank_statement_line_id_seq')::int
                           AS statement_line_id,
                       nextval('account_partial_reconcile_id_seq')::int AS partial_id,
                       CASE WHEN planned.payment_state = 'paid'
                            THEN nextval('account_full_reconcile_id_seq')::int
                       END AS full_id,
                       planned.*,
                       NULL::varchar AS sequence_prefix,
                       NULL::int AS sequence_number,
                       NULL::varchar AS name
                  FROM (
                    SELECT i.id AS invoice_id, i.ikey, i.move_type, i.commercial_id,
                           i.commercial_name, i.name AS invoice_name, i.payment_state,
                           i.pay_date, i.paid_amount,
                           CASE i.move_type WHEN 'out_refund' THEN 'Refund ' ELSE '' END
                           || i.name || ' - ' || i.commercial_name AS payment_ref
                      FROM bench_invoice i
                     WHERE i.paid_amount > 0
                     ORDER BY i.pay_date, i.ikey
                  ) planned;
                WITH numbered AS (
                    SELECT p.id, p.prefix,
                           COALESCE(last.number, 0)
                           + row_number() OVER (PARTITION BY p.prefix
                                                ORDER BY p.pay_date, p.id) AS number
                      FROM (SELECT id, pay_date,
                                   %(code)s || '/' || extract(year FROM pay_date)::int
                                   || '/' AS prefix
                              FROM bench_payment) p
                      LEFT JOIN (SELECT sequence_prefix, MAX(sequence_number) AS number
                                   FROM account_move
                                  WHERE journal_id = %(journal)s
                                  GROUP BY sequence_prefix) last
                        ON last.sequence_prefix = p.prefix
                )
                UPDATE bench_payment b
                   SET sequence_prefix = n.prefix,
                       sequence_number = n.number,
                       name = n.prefix || lpad(n.number::text,
                                               greatest(5, length(n.number::text)), '0')
                  FROM numbered n
                 WHERE n.id = b.id;
                CREATE INDEX ON bench_payment (invoice_id);
                """,
                code=self.bank_journal.code,
                journal=self.bank_journal.id,
            )
        )

    def _plan_move_lines(self):
        """``bench_line``: every journal item with its id. Invoices: one
        product line per order line and one receivable line; credit notes: the
        refunded line and a receivable line; bank entries: a bank line and a
        receivable line. ``balance`` is positive on the debit side."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_line ON COMMIT DROP AS
                SELECT nextval('account_move_line_id_seq')::int AS id, planned.*
                  FROM (
                    -- invoices: income lines (credit), one per order line
                    SELECT i.id AS move_id, 'product' AS kind, %(income)s AS account_id,
                           i.commercial_id, l.product_id, l.uom_id, l.name, l.qty,
                           l.price_unit, -l.subtotal AS balance, 0.0 AS residual,
                           FALSE AS reconciled, NULL::int AS full_id,
                           NULL::varchar AS matching, l.id AS order_line_id,
                           99 + l.position AS sequence, i.invoice_date AS date,
                           NULL::date AS date_maturity, i.name AS move_name,
                           NULL::varchar AS ref, TRUE AS is_invoice,
                           NULL::int AS statement_line_id
                      FROM bench_invoice i
                      JOIN bench_order_line l ON l.order_id = i.order_id
                     WHERE i.move_type = 'out_invoice'
                     UNION ALL
                    -- credit notes: the refunded line (debit)
                    SELECT i.id, 'product', %(income)s, i.commercial_id, l.product_id,
                           l.uom_id, l.name, l.qty, l.price_unit, l.subtotal, 0.0,
                           FALSE, NULL, NULL, NULL, 100, i.invoice_date, NULL,
                           i.name, NULL, TRUE, NULL
                      FROM bench_invoice i
                      JOIN bench_order_line l ON l.id = i.refund_line_id
                     WHERE i.move_type = 'out_refund'
                     UNION ALL
                    -- receivable (payment term) line of each document
                    SELECT i.id, 'term', %(receivable)s, i.commercial_id, NULL, NULL,
                           i.name, 0.0, 0.0, s.sign * i.amount,
                           s.sign * (i.amount - i.paid_amount),
                           i.payment_state = 'paid', p.full_id,
                           CASE WHEN p.full_id IS NOT NULL THEN p.full_id::varchar
                                WHEN p.partial_id IS NOT NULL
                                THEN 'P' || p.partial_id
                           END,
                           NULL, 12000, i.invoice_date, i.date_due, i.name, NULL, TRUE,
                           NULL
                      FROM bench_invoice i
                     CROSS JOIN LATERAL (
                           SELECT CASE i.move_type WHEN 'out_refund' THEN -1 ELSE 1 END
                                  AS sign) s
                      LEFT JOIN bench_payment p ON p.invoice_id = i.id
                     UNION ALL
                    -- bank entries: the bank line (debit when the customer pays;
                    -- bank accounts keep a residual although not reconcilable)
                    SELECT p.id, 'bank', %(bank)s, p.commercial_id, NULL, NULL,
                           p.payment_ref, 1.0, 0.0, s.sign * p.paid_amount,
                           s.sign * p.paid_amount, FALSE, NULL, NULL, NULL, 100,
                           p.pay_date, p.pay_date, p.name, NULL, FALSE,
                           p.statement_line_id
                      FROM bench_payment p
                     CROSS JOIN LATERAL (
                           SELECT CASE p.move_type WHEN 'out_refund' THEN -1 ELSE 1 END
                                  AS sign) s
                     UNION ALL
                    -- bank entries: the receivable line reconciled with the document
                    SELECT p.id, 'counterpart', %(receivable)s, p.commercial_id, NULL,
                           NULL, p.payment_ref, 1.0, 0.0, -s.sign * p.paid_amount, 0.0,
                           TRUE, p.full_id,
                           COALESCE(p.full_id::varchar, 'P' || p.partial_id), NULL, 101,
                           p.pay_date, p.pay_date, p.name, NULL, FALSE,
                           p.statement_line_id
                      FROM bench_payment p
                     CROSS JOIN LATERAL (
                           SELECT CASE p.move_type WHEN 'out_refund' THEN -1 ELSE 1 END
                                  AS sign) s
                     ORDER BY move_id, sequence, order_line_id
                  ) planned;
                CREATE INDEX ON bench_line (move_id, kind);
                """,
                income=self.income_account.id,
                receivable=self.receivable_account.id,
                bank=self.bank_account.id,
            )
        )

    # ------------------------------------------------------------------
    # Real tables
    # ------------------------------------------------------------------

    def _common_values(self):
        return {
            "company": self.company.id,
            "currency": self.company.currency_id.id,
            "user": self.user.id,
            "uid": self.env.uid,
            "now": self.now,
            "team": self.team.id or None,
            "warehouse": self.warehouse.id or None,
            "today": self.today,
        }

    def _insert_partners(self):
        """Customer companies, then their contact persons."""
        cr = self.cr
        cr.execute(
            SQL(
                """
                INSERT INTO res_partner (
                    id, name, complete_name, commercial_company_name, ref, type,
                    is_company, active, commercial_partner_id, customer_rank,
                    supplier_rank, lang, email, email_normalized, country_id, user_id,
                    color, partner_share, message_bounce, invoice_warn, sale_warn,
                    picking_warn, purchase_warn, autopost_bills,
                    calendar_last_notif_ack, create_uid, create_date, write_uid,
                    write_date)
                SELECT c.id, c.name, c.name, c.name,
                       'BENCH-C' || lpad(c.n::text, 6, '0'), 'contact', TRUE, TRUE,
                       c.id, greatest(1, c.order_count), 0,
                       'en_US', 'orders@customer' || c.n || '.example.com',
                       'orders@customer' || c.n || '.example.com', c.country_id,
                       %(user)s, 0, TRUE, 0, 'no-message', 'no-message', 'no-message',
                       'no-message', 'ask', created.at, %(uid)s, created.at, %(uid)s,
                       created.at
                  FROM bench_customer c
                 CROSS JOIN LATERAL (
                       SELECT %(now)s::timestamp
                              - make_interval(days => c.first_ago + 14) AS at) created
                 ORDER BY c.id
                """,
                **self._common_values(),
            )
        )
        count = cr.rowcount
        cr.execute(
            SQL(
                """
                INSERT INTO res_partner (
                    id, name, complete_name, commercial_company_name, parent_id, type,
                    is_company, active, commercial_partner_id, customer_rank,
                    supplier_rank, lang, email, email_normalized, country_id,
                    function, color, partner_share, message_bounce, invoice_warn,
                    sale_warn, picking_warn, purchase_warn, autopost_bills,
                    calendar_last_notif_ack, create_uid, create_date, write_uid,
                    write_date)
                SELECT c.contact_id, person.name, c.name || ', ' || person.name, c.name,
                       c.id, 'contact', FALSE, TRUE, c.id, 0, 0, 'en_US', person.email,
                       person.email, c.country_id, 'Purchasing', 0, TRUE, 0,
                       'no-message', 'no-message', 'no-message', 'no-message', 'ask',
                       created.at, %(uid)s, created.at, %(uid)s, created.at
                  FROM bench_customer c
                 CROSS JOIN LATERAL (
                       SELECT c.first_name || ' ' || c.last_name AS name,
                              lower(c.first_name || '.' || c.last_name) || '@customer'
                              || c.n || '.example.com' AS email) person
                 CROSS JOIN LATERAL (
                       SELECT %(now)s::timestamp
                              - make_interval(days => c.first_ago + 7) AS at) created
                 WHERE c.contact_id IS NOT NULL
                 ORDER BY c.contact_id
                """,
                **self._common_values(),
            )
        )
        return count + cr.rowcount

    def _insert_orders(self):
        self.cr.execute(
            SQL(
                """
                INSERT INTO sale_order (
                    id, name, company_id, partner_id, partner_invoice_id,
                    partner_shipping_id, currency_id, user_id, team_id, state,
                    invoice_status, date_order, validity_date, currency_rate,
                    amount_untaxed, amount_tax, amount_total, margin, margin_percent,
                    locked, require_signature, require_payment, prepayment_percent,
                    warehouse_id, picking_policy, create_uid, create_date, write_uid,
                    write_date)
                SELECT o.id, o.name, %(company)s, o.partner_id, o.commercial_id,
                       o.partner_id, %(currency)s, %(user)s, %(team)s, o.state,
                       CASE WHEN o.invoice_date IS NOT NULL THEN 'invoiced'
                            WHEN o.state = 'sale' THEN 'to invoice'
                            ELSE 'no'
                       END,
                       o.date_order, o.date_order::date + 30, 1.0, t.amount, 0.0,
                       t.amount, t.margin, t.margin / NULLIF(t.amount, 0), FALSE,
                       TRUE, FALSE, 1.0, %(warehouse)s, 'direct', %(uid)s,
                       o.date_order, %(uid)s, o.date_order
                  FROM bench_order o
                  JOIN bench_order_total t ON t.order_id = o.id
                 ORDER BY o.id
                """,
                **self._common_values(),
            )
        )
        return self.cr.rowcount

    def _insert_order_lines(self):
        """Service lines (delivered quantities set by hand, invoiced on order)."""
        self.cr.execute(
            SQL(
                """
                INSERT INTO sale_order_line (
                    id, order_id, sequence, company_id, currency_id, order_partner_id,
                    salesman_id, product_id, product_uom, state, qty_delivered_method,
                    invoice_status, name, product_uom_qty, price_unit, discount,
                    price_subtotal, price_tax, price_total, price_reduce_taxexcl,
                    price_reduce_taxinc, technical_price_unit, qty_delivered,
                    qty_invoiced, qty_to_invoice, untaxed_amount_invoiced,
                    untaxed_amount_to_invoice, customer_lead, product_packaging_qty,
                    is_downpayment, is_expense, warehouse_id, purchase_price, margin,
                    margin_percent, create_uid, create_date, write_uid, write_date)
                SELECT l.id, l.order_id, 10 * l.position, %(company)s, %(currency)s,
                       o.partner_id, %(user)s, l.product_id, l.uom_id, o.state,
                       'manual',
                       CASE WHEN invoiced THEN 'invoiced'
                            WHEN o.state = 'sale' THEN 'to invoice'
                            ELSE 'no'
                       END,
                       l.name, l.qty, l.price_unit, 0.0, l.subtotal, 0.0, l.subtotal,
                       l.price_unit, l.price_unit, l.price_unit,
                       CASE WHEN invoiced THEN l.qty ELSE 0.0 END,
                       CASE WHEN invoiced THEN l.qty ELSE 0.0 END,
                       CASE WHEN o.state = 'sale' AND NOT invoiced THEN l.qty
                            ELSE 0.0 END,
                       CASE WHEN invoiced THEN l.subtotal ELSE 0.0 END,
                       CASE WHEN o.state = 'sale' AND NOT invoiced THEN l.subtotal
                            ELSE 0.0 END,
                       0.0, 0.0, FALSE, FALSE, %(warehouse)s, l.cost,
                       l.subtotal - l.qty * l.cost,
                       (l.subtotal - l.qty * l.cost) / NULLIF(l.subtotal, 0),
                       %(uid)s, o.date_order, %(uid)s, o.date_order
                  FROM bench_order_line l
                  JOIN bench_order o ON o.id = l.order_id
                 CROSS JOIN LATERAL (
                       SELECT o.invoice_date IS NOT NULL AS invoiced) state
                 ORDER BY l.id
                """,
                **self._common_values(),
            )
        )
        return self.cr.rowcount

    def _insert_accounting(self):
        """Reconciliations, documents, bank entries, journal items, partials
        and the links between invoice lines and order lines."""
        cr = self.cr
        values = self._common_values()
        counts = {}
        cr.execute(
            SQL(
                """
                INSERT INTO account_full_reconcile (id, create_uid, create_date,
                                                    write_uid, write_date)
                SELECT full_id, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM bench_payment
                 WHERE full_id IS NOT NULL
                 ORDER BY full_id
                """,
                **values,
            )
        )
        counts["account_full_reconcile"] = cr.rowcount
        cr.execute(
            SQL(
                """
                INSERT INTO account_move (
                    id, name, sequence_prefix, sequence_number, journal_id, company_id,
                    partner_id, commercial_partner_id, partner_shipping_id, currency_id,
                    invoice_user_id, team_id, state, move_type, auto_post,
                    payment_reference, payment_state, invoice_partner_display_name,
                    invoice_origin, date, invoice_date, invoice_date_due,
                    invoice_currency_rate, amount_untaxed, amount_tax, amount_total,
                    amount_residual, amount_untaxed_signed,
                    amount_untaxed_in_currency_signed, amount_tax_signed,
                    amount_total_signed, amount_total_in_currency_signed,
                    amount_residual_signed, is_storno, always_tax_exigible, checked,
                    posted_before, made_sequence_gap, is_manually_modified,
                    is_move_sent, create_uid, create_date, write_uid, write_date)
                SELECT i.id, i.name, i.sequence_prefix, i.sequence_number, %(journal)s,
                       %(company)s, i.commercial_id, i.commercial_id, i.commercial_id,
                       %(currency)s, %(user)s, %(team)s, 'posted', i.move_type, 'no',
                       i.name, i.payment_state, i.commercial_name, i.origin,
                       i.invoice_date, i.invoice_date, i.date_due, 1.0, i.amount, 0.0,
                       i.amount, i.amount - i.paid_amount, s.sign * i.amount,
                       s.sign * i.amount, 0.0, s.sign * i.amount, s.sign * i.amount,
                       s.sign * (i.amount - i.paid_amount), FALSE, FALSE, TRUE, TRUE,
                       FALSE, FALSE, TRUE, %(uid)s, created.at, %(uid)s, created.at
                  FROM bench_invoice i
                 CROSS JOIN LATERAL (
                       SELECT CASE i.move_type WHEN 'out_refund' THEN -1 ELSE 1 END
                              AS sign) s
                 CROSS JOIN LATERAL (
                       SELECT i.invoice_date + interval '9 hours' AS at) created
                 ORDER BY i.id
                """,
                journal=self.sale_journal.id,
                **values,
            )
        )
        counts["account_move (invoices)"] = cr.rowcount
        # Statement lines and their entries refer to each other: one statement
        # inserts both, the foreign keys are checked at its end.
        cr.execute(
            SQL(
                """
                WITH statement_line AS (
                    INSERT INTO account_bank_statement_line (
                        id, move_id, journal_id, company_id, sequence, partner_id,
                        currency_id, payment_ref, internal_index, amount,
                        amount_currency, amount_residual, is_reconciled, create_uid,
                        create_date, write_uid, write_date)
                    SELECT p.statement_line_id, p.id, %(journal)s, %(company)s, 1,
                           p.commercial_id, %(currency)s, p.payment_ref,
                           to_char(p.pay_date, 'YYYYMMDD') || '2147483646'
                           || lpad(p.statement_line_id::text, 10, '0'),
                           CASE p.move_type WHEN 'out_refund' THEN -p.paid_amount
                                ELSE p.paid_amount END,
                           0.0, 0.0, TRUE, %(uid)s, created.at, %(uid)s, created.at
                      FROM bench_payment p
                     CROSS JOIN LATERAL (
                           SELECT p.pay_date + interval '15 hours' AS at) created
                     ORDER BY p.statement_line_id
                )
                INSERT INTO account_move (
                    id, name, sequence_prefix, sequence_number, journal_id, company_id,
                    statement_line_id, partner_id, commercial_partner_id, currency_id,
                    ref, state,
                    move_type, auto_post, payment_state, invoice_partner_display_name,
                    date, invoice_date_due, invoice_currency_rate, amount_untaxed,
                    amount_tax, amount_total, amount_residual, amount_untaxed_signed,
                    amount_untaxed_in_currency_signed, amount_tax_signed,
                    amount_total_signed, amount_total_in_currency_signed,
                    amount_residual_signed, is_storno, always_tax_exigible, checked,
                    posted_before, made_sequence_gap, is_manually_modified,
                    create_uid, create_date, write_uid, write_date)
                SELECT p.id, p.name, p.sequence_prefix, p.sequence_number, %(journal)s,
                       %(company)s, p.statement_line_id, p.commercial_id,
                       p.commercial_id, %(currency)s, NULL, 'posted', 'entry', 'no',
                       'not_paid',
                       p.commercial_name, p.pay_date, p.pay_date, 0.0, 0.0, 0.0,
                       p.paid_amount, 0.0, 0.0, 0.0, 0.0, p.paid_amount, p.paid_amount,
                       0.0, FALSE, TRUE, TRUE, TRUE, FALSE, FALSE, %(uid)s, created.at,
                       %(uid)s, created.at
                  FROM bench_payment p
                 CROSS JOIN LATERAL (
                       SELECT p.pay_date + interval '15 hours' AS at) created
                 ORDER BY p.id
                """,
                journal=self.bank_journal.id,
                **values,
            )
        )
        counts["account_move (bank entries)"] = cr.rowcount
        counts["account_bank_statement_line"] = cr.rowcount
        cr.execute(
            SQL(
                """
                INSERT INTO account_move_line (
                    id, move_id, journal_id, company_id, company_currency_id, sequence,
                    account_id, currency_id, partner_id, statement_line_id,
                    full_reconcile_id, product_id,
                    product_uom_id, move_name, parent_state, ref, name, matching_number,
                    display_type, date, invoice_date, date_maturity, debit, credit,
                    balance, amount_currency, amount_residual, amount_residual_currency,
                    quantity, price_unit, price_subtotal, price_total, discount,
                    discount_amount_currency, discount_balance, tax_tag_invert,
                    reconciled, create_uid, create_date, write_uid, write_date)
                SELECT l.id, l.move_id,
                       CASE WHEN l.is_invoice THEN %(sale_journal)s
                            ELSE %(bank_journal)s END,
                       %(company)s, %(currency)s, l.sequence, l.account_id,
                       %(currency)s, l.commercial_id, l.statement_line_id, l.full_id,
                       l.product_id, l.uom_id,
                       l.move_name, 'posted', l.ref, l.name, l.matching,
                       CASE WHEN l.kind = 'term' THEN 'payment_term' ELSE 'product' END,
                       l.date, CASE WHEN l.is_invoice THEN l.date END, l.date_maturity,
                       greatest(l.balance, 0.0), greatest(-l.balance, 0.0), l.balance,
                       l.balance, l.residual, l.residual, l.qty, l.price_unit,
                       CASE WHEN l.kind = 'product' THEN abs(l.balance)
                            WHEN l.kind = 'term' THEN 0.0
                            ELSE l.balance END,
                       CASE WHEN l.kind = 'product' THEN abs(l.balance)
                            WHEN l.kind = 'term' THEN 0.0
                            ELSE l.balance END,
                       0.0, 0.0, 0.0, FALSE, l.reconciled, %(uid)s, created.at,
                       %(uid)s, created.at
                  FROM bench_line l
                 CROSS JOIN LATERAL (
                       SELECT l.date + interval '9 hours' AS at) created
                 ORDER BY l.id
                """,
                sale_journal=self.sale_journal.id,
                bank_journal=self.bank_journal.id,
                **values,
            )
        )
        counts["account_move_line"] = cr.rowcount
        # Customer payment: the invoice's receivable line is the debit side;
        # refund paid out: the bank entry's receivable line is.
        cr.execute(
            SQL(
                """
                INSERT INTO account_partial_reconcile (
                    id, debit_move_id, credit_move_id, full_reconcile_id,
                    debit_currency_id, credit_currency_id, company_id, max_date, amount,
                    debit_amount_currency, credit_amount_currency, create_uid,
                    create_date, write_uid, write_date)
                SELECT p.partial_id,
                       CASE p.move_type WHEN 'out_invoice' THEN term.id
                            ELSE counterpart.id END,
                       CASE p.move_type WHEN 'out_invoice' THEN counterpart.id
                            ELSE term.id END,
                       p.full_id, %(currency)s, %(currency)s, %(company)s, p.pay_date,
                       p.paid_amount, p.paid_amount, p.paid_amount, %(uid)s,
                       created.at, %(uid)s, created.at
                  FROM bench_payment p
                  JOIN bench_line term
                    ON term.move_id = p.invoice_id AND term.kind = 'term'
                  JOIN bench_line counterpart
                    ON counterpart.move_id = p.id AND counterpart.kind = 'counterpart'
                 CROSS JOIN LATERAL (
                       SELECT p.pay_date + interval '15 hours' AS at) created
                 ORDER BY p.partial_id
                """,
                **values,
            )
        )
        counts["account_partial_reconcile"] = cr.rowcount
        cr.execute(
            """
            INSERT INTO sale_order_line_invoice_rel (invoice_line_id, order_line_id)
            SELECT id, order_line_id
              FROM bench_line
             WHERE order_line_id IS NOT NULL
            """
        )
        counts["sale_order_line_invoice_rel"] = cr.rowcount
        return counts

    def _insert_messages(self):
        """Emails from the customer (its contact person when it has one) and
        internal notes on the customer, spread over its active years and
        denser towards its last order."""
        self.cr.execute(
            SQL(
                """
                INSERT INTO mail_message (
                    model, res_id, record_name, message_type, subtype_id, author_id,
                    email_from, subject, body, message_id, date, is_internal,
                    reply_to_force_new, email_add_signature, create_uid, create_date,
                    write_uid, write_date)
                SELECT 'res.partner', c.id, c.name, kind.message_type,
                       CASE WHEN kind.is_email THEN %(comment)s ELSE %(note)s END,
                       CASE WHEN kind.is_email THEN COALESCE(c.contact_id, c.id)
                            ELSE %(author)s END,
                       CASE WHEN kind.is_email
                            THEN 'orders@customer' || c.n || '.example.com'
                            ELSE %(author_email)s END,
                       (%(subjects)s::varchar[])[1 + floor(
                           pg_temp.bench_rand(m.key, 52) * %(n_subjects)s)::int],
                       '<p>' || CASE WHEN kind.is_email
                                     THEN 'Message from ' || c.name
                                     ELSE 'Internal note about ' || c.name END
                       || '</p>',
                       '<bench.' || m.key || '@example.com>', dated.at, FALSE, FALSE,
                       TRUE, %(uid)s, dated.at, %(uid)s, dated.at
                  FROM bench_customer c
                 CROSS JOIN LATERAL (
                       SELECT c.n::bigint * 100 + k AS key
                         FROM generate_series(
                              1, floor(pg_temp.bench_rand(c.n, 50) * %(max)s)::int) k) m
                 CROSS JOIN LATERAL (
                       SELECT pg_temp.bench_rand(m.key, 51) < 0.6 AS is_email) flag
                 CROSS JOIN LATERAL (
                       SELECT flag.is_email,
                              CASE WHEN flag.is_email THEN 'email' ELSE 'comment' END
                              AS message_type) kind
                 CROSS JOIN LATERAL (
                       SELECT date_trunc('second', least(
                           (%(today)s::date - c.last_ago
                            - floor(pg_temp.bench_rand(m.key, 53) ^ 2
                                    * (c.first_ago - c.last_ago + 1))::int)
                           + interval '8 hours'
                           + pg_temp.bench_rand(m.key, 54) * interval '10 hours',
                           %(now)s::timestamp - interval '1 minute')) AS at) dated
                 WHERE c.kind IN ('active', 'lapsed')
                """,
                comment=self.comment_subtype.id,
                note=self.note_subtype.id,
                author=self.user.partner_id.id,
                author_email=self.user.partner_id.email_formatted or "",
                subjects=MESSAGE_SUBJECTS,
                n_subjects=len(MESSAGE_SUBJECTS),
                max=MAX_MESSAGES,
                **self._common_values(),
            )
        )
        return self.cr.rowcount

    def _advance_order_sequence(self):
        """Move the ``sale.order`` sequence past the names used."""
        self.cr.execute("SELECT COALESCE(MAX(number), 0) FROM bench_order")
        last = self.cr.fetchone()[0]
        if last >= self.order_name_start:
            self.order_sequence.sudo().write({"number_next": last + 1})
            self.order_sequence.flush_recordset()


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
