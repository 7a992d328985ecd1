"""A year and a half of customer history for the demo database.

Called once by the demo data of ``relationship_mgmt`` (never without demo
data): a few hundred customers of the main company with different rhythms
(regular, seasonal, lapsing, lapsed, new, one-time buyers and prospects),
their quotations and confirmed orders, posted invoices and a few credit
notes, bank payments on time, late or still overdue, emails and notes, logged
interactions and satisfaction answers, dated relative to today.

The documents are written with temporary plan tables (``plan_*``) with ids
drawn from the real sequences, then one ``INSERT ... SELECT`` per table, with
stored computed fields filled as Odoo stores them. ``bench/generate.py``
subclasses the generator for its sizes and purchase rhythms. Random draws
hash stable keys with ``hashint8extended``: the same seed on the same day
gives the same data. The few records with business logic
of their own (products, interactions, satisfaction answers) go through the ORM
in batched ``create`` calls.
"""

import logging
import time
from datetime import timedelta

from odoo import Command, fields
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

CUSTOMERS = 300
HISTORY_DAYS = 540  # first orders up to eighteen months ago
SEED = 17
# Cumulative shares of the kinds of customers (the rest are regular buyers).
KIND_SHARES = [
    ("prospect", 0.04),  # no document yet
    ("new", 0.13),  # first order in the last two months
    ("one_time", 0.24),  # a single order, months ago
    ("lapsed", 0.38),  # bought regularly, nothing for 7 to 13 months
    ("lapsing", 0.51),  # bought regularly, the last order is overdue
    ("seasonal", 0.63),  # a few orders around the same months each year
]
CONTACT_SHARE = 0.6  # customers with a contact person who places orders
REFUND_SHARE = 0.02  # invoices followed by a credit note of one line
MAX_MESSAGES = 6  # emails and notes per customer: 0 to MAX_MESSAGES - 1
# (reference, name, sales price, cost, category key) of the products sold:
# services and monthly plans of an office furniture company.
PRODUCTS = [
    ("DEMO-REL-DESIGN", "Office layout design", 1200.0, 650.0, "service"),
    ("DEMO-REL-INSTALL", "Furniture installation", 450.0, 260.0, "service"),
    ("DEMO-REL-ERGO", "Ergonomics workshop", 680.0, 310.0, "service"),
    ("DEMO-REL-REPAIR", "Repair visit", 310.0, 170.0, "service"),
    ("DEMO-REL-MOVE", "Office relocation", 2400.0, 1500.0, "service"),
    ("DEMO-REL-MAINT", "Maintenance plan (month)", 240.0, 95.0, "plan"),
    ("DEMO-REL-CARE", "Upholstery care plan (month)", 120.0, 40.0, "plan"),
    ("DEMO-REL-WARRANTY", "Extended warranty (year)", 390.0, 60.0, "plan"),
]
CATEGORIES = {"service": "Furniture services", "plan": "Service plans"}
# Customer names by language group: English, Spanish, Bulgarian.
NAMES = {
    "en": {
        "words": ["Nordwind", "Blue Harbor", "Alpine", "Sunrise", "Redwood",
                  "Silverline", "Oakridge", "Green Valley", "Atlas", "Meridian",
                  "Pioneer", "Summit", "Granite", "Lakeside"],
        "activities": ["Logistics", "Foods", "Engineering", "Textiles", "Pharma",
                       "Retail", "Software", "Hotels", "Printing", "Motors"],
        "forms": ["Ltd", "Inc", "GmbH", "BV", "SA"],
        "first_names": ["Anna", "David", "Felix", "Greta", "Hugo", "Jonas",
                        "Laura", "Oliver", "Sophie", "Thomas"],
        "last_names": ["Schmidt", "Dubois", "Jansen", "Weber", "Peeters",
                       "Martin", "Walker", "Evans", "Fischer", "Moreau"],
        "countries": ["US", "BE", "DE", "FR", "NL", "GB"],
        "cities": ["Chicago", "Antwerp", "Hamburg", "Lyon", "Rotterdam", "Leeds"],
        "lang": "en_US",
    },
    "es": {
        "words": ["Guadalquivir", "Levante", "Sierra Nevada", "Cantábrico",
                  "Montserrat", "Albaicín", "Mediterráneo", "Castilla", "Triana",
                  "Alhambra", "Ebro", "Galicia", "Navarra", "Teide"],
        "activities": ["Muebles", "Distribuciones", "Construcciones",
                       "Alimentación", "Hoteles", "Farmacia", "Imprenta",
                       "Transportes", "Talleres", "Consultores"],
        "forms": ["SL", "SA", "SLU"],
        "first_names": ["Carmen", "Luis", "María", "Pablo", "Lucía", "Javier",
                        "Elena", "Sergio", "Marta", "Andrés"],
        "last_names": ["García", "López", "Martínez", "Sánchez", "Romero",
                       "Navarro", "Torres", "Ruiz", "Jiménez", "Moreno"],
        "countries": ["ES"],
        "cities": ["Sevilla", "Valencia", "Bilbao", "Zaragoza", "Málaga", "Madrid"],
        "lang": "es_ES",
    },
    "bg": {
        "words": ["Витоша", "Родопи", "Тракия", "Дунав", "Балкан", "Пирин",
                  "Странджа", "Мусала", "Искър", "Марица", "Добруджа", "Рила",
                  "Черноморец", "Янтра"],
        "activities": ["Мебели", "Логистика", "Строй", "Трейд", "Храни",
                       "Хотели", "Фарма", "Печат", "Транс", "Консулт"],
        "forms": ["ООД", "ЕООД", "АД"],
        "first_names": ["Иван", "Мария", "Георги", "Елена", "Николай", "Десислава",
                        "Петър", "Ивана", "Димитър", "Радослава"],
        "last_names": ["Иванов", "Петрова", "Георгиев", "Димитрова", "Николов",
                       "Стоянова", "Христов", "Тодорова", "Василев", "Колева"],
        "countries": ["BG"],
        "cities": ["София", "Пловдив", "Варна", "Бургас", "Русе", "Стара Загора"],
        "lang": "bg_BG",
    },
}  # fmt: skip
GROUPS = ("en", "es", "bg")
# Emails of the customers and notes of the salespeople, per language group:
# (subject, body).
MESSAGES = {
    "en": [
        (
            "Question about our last invoice",
            "Could you send us the invoice again with our new address?",
        ),
        ("Delivery schedule", "Can the installation team come on Tuesday morning?"),
        (
            "Request for a quotation",
            "We are opening a second floor and need a layout proposal.",
        ),
        (
            "Meeting notes",
            "Reviewed the year together; they plan to renew the maintenance plan.",
        ),
        (
            "Follow-up call",
            "Called about the open quotation; decision expected next week.",
        ),
    ],
    "es": [
        (
            "Consulta sobre la última factura",
            "¿Nos pueden enviar la factura con la nueva dirección fiscal?",
        ),
        (
            "Fecha de instalación",
            "¿Puede venir el equipo de montaje el martes por la mañana?",
        ),
        (
            "Solicitud de presupuesto",
            "Abrimos una nueva oficina y necesitamos una propuesta de distribución.",
        ),
        (
            "Notas de la reunión",
            "Revisamos el año; piensan renovar el plan de mantenimiento.",
        ),
        (
            "Llamada de seguimiento",
            "Llamé por el presupuesto pendiente; decidirán la semana que viene.",
        ),
    ],
    "bg": [
        (
            "Въпрос за последната фактура",
            "Може ли да ни изпратите фактурата с новия адрес на фирмата?",
        ),
        (
            "График на доставката",
            "Може ли екипът за монтаж да дойде във вторник сутринта?",
        ),
        (
            "Запитване за оферта",
            "Отваряме нов офис и имаме нужда от предложение за разпределение.",
        ),
        (
            "Бележки от срещата",
            "Прегледахме годината; смятат да подновят плана за поддръжка.",
        ),
        (
            "Обаждане за проследяване",
            "Обадих се за отворената оферта; ще решат следващата седмица.",
        ),
    ],
}
# Logged interactions: (subject, channel, direction, outcome, summary).
INTERACTIONS = [
    (
        "Quarterly review",
        "meeting",
        "outbound",
        "positive",
        "Went through the orders of the quarter; all good.",
    ),
    (
        "Call about the renewal",
        "phone",
        "outbound",
        "positive",
        "They will renew the maintenance plan.",
    ),
    (
        "Complaint about a late installation",
        "email",
        "inbound",
        "negative",
        "The team arrived two days late; a discount was asked.",
    ),
    (
        "Question about the warranty",
        "chat",
        "inbound",
        "neutral",
        "Explained what the extended warranty covers.",
    ),
    (
        "Follow-up on the quotation",
        "phone",
        "outbound",
        "no_answer",
        "No answer; try again next week.",
    ),
    (
        "Showroom visit",
        "in_person",
        "inbound",
        "positive",
        "Visited the showroom with their office manager.",
    ),
]
# Tables the generator fills.
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


class DemoDataGenerator:
    """Writes the demo customers and their history into the main company.

    Temporary tables (``plan_*``, dropped at the end) hold the plan of each
    table with ids already drawn from the real sequences; the real tables are
    then filled from them with one statement each. A subclass plans other
    customers (``_plan_customers``: the plan's columns are documented there)
    and tunes the documents with the class attributes and ``_*_sql`` hooks.
    """

    # (reference, name, sales price, cost, category key or None) of the
    # products sold, and the names of their categories.
    PRODUCTS = PRODUCTS
    CATEGORIES = CATEGORIES
    # Confirmed orders are invoiced 0 to INVOICE_DAYS - 1 days after the order.
    INVOICE_DAYS = 5
    # Quantities of an order line: 1 + floor(r^2 * LINE_QTY_SPREAD).
    LINE_QTY_SPREAD = 6
    # Whether a credit note's line is linked to the refunded order line.
    LINK_REFUND_LINES = True
    # Message-ids of the messages: <PREFIX.key@example.com>.
    MESSAGE_ID_PREFIX = "demo.relationship"
    REFUND_SHARE = REFUND_SHARE

    def __init__(self, env, customers=CUSTOMERS, seed=SEED):
        self.env = env
        self.cr = env.cr
        self.seed = seed
        self.customers = customers
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
        if not self._start():
            return {}
        self._timed(self._prepare)
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
        counts.update(self._create_records())
        self._drop_plans()
        self.env.flush_all()
        return counts

    def _start(self):
        """Whether to generate (not when the demo customers exist already)."""
        return not self._already_generated()

    def _create_records(self):
        """The records created through the ORM after the documents."""
        customer_ids = self._customer_ids()
        return {
            "relationship_interaction": self._timed(
                lambda: self._create_interactions(customer_ids)
            ),
            "relationship_satisfaction": self._timed(
                lambda: self._create_satisfaction(customer_ids)
            ),
        }

    def _timed(self, step):
        start = time.perf_counter()
        result = step()
        _logger.debug(
            "%s: %.2f s", getattr(step, "__name__", "step"), time.perf_counter() - start
        )
        return result

    def _already_generated(self):
        self.cr.execute(
            "SELECT 1 FROM res_partner WHERE ref LIKE 'DEMO-REL-C%' LIMIT 1"
        )
        return bool(self.cr.fetchone())

    def _drop_plans(self):
        for table in (
            "plan_customer",
            "plan_order",
            "plan_order_line",
            "plan_order_total",
            "plan_product",
            "plan_invoice",
            "plan_payment",
            "plan_line",
        ):
            self.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))

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
        salespeople = self.user | (
            env.ref("base.user_demo", raise_if_not_found=False) or self.user
        )
        self.salesperson_ids = salespeople.ids
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
        active_langs = set(env["res.lang"].search([]).mapped("code"))
        self.group_values = []
        for group in GROUPS:
            names = NAMES[group]
            countries = [
                env["res.country"].search([("code", "=", code)], limit=1).id
                or company.country_id.id
                for code in names["countries"]
            ]
            self.group_values.append(
                {
                    "countries": countries,
                    "lang": names["lang"] if names["lang"] in active_langs else "en_US",
                }
            )
        self.comment_subtype = env.ref("mail.mt_comment")
        self.note_subtype = env.ref("mail.mt_note")

    def _ensure_products(self):
        """The services and plans sold (through the ORM, no taxes so that
        untaxed and total amounts are the same), in the order of
        ``PRODUCTS``; without a category key, in the root category."""
        Category = self.env["product.category"]
        parent = self.env.ref("product.product_category_all")
        categories = {
            key: Category.search([("name", "=", name), ("parent_id", "=", parent.id)])
            or Category.create({"name": name, "parent_id": parent.id})
            for key, name in self.CATEGORIES.items()
        }
        categories[None] = parent
        Product = self.env["product.product"].with_company(self.company)
        refs = [p[0] for p in self.PRODUCTS]
        existing = Product.search([("default_code", "in", refs)])
        missing = [
            p for p in self.PRODUCTS if p[0] not in existing.mapped("default_code")
        ]
        Product.create(
            [
                {
                    "name": name,
                    "default_code": ref,
                    "type": "service",
                    "categ_id": categories[categ].id,
                    "list_price": price,
                    "standard_price": cost,
                    "taxes_id": [Command.clear()],
                    "invoice_policy": "order",
                }
                for ref, name, price, cost, categ in missing
            ]
        )
        products = Product.search([("default_code", "in", refs)])
        order = {ref: index for index, ref in enumerate(refs)}
        self.env.flush_all()
        return products.sorted(lambda product: order[product.default_code])

    # ------------------------------------------------------------------
    # Plans (temporary tables)
    # ------------------------------------------------------------------

    def _create_random_function(self):
        """``pg_temp.plan_rand(key, salt)``: a uniform [0, 1) number that only
        depends on the key, the salt and the seed."""
        self.cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION pg_temp.plan_rand(key bigint, salt integer)
                RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
                    SELECT (hashint8extended(key, salt::bigint * 7919 + %s)
                            & 4503599627370495)::float8 / 4503599627370496.0
                $$
                """,
                self.seed,
            )
        )

    def _plan_customers(self):
        """``plan_customer``: kind, language group, readable name, activity
        span (days ago), number of orders, payment habit and term of each
        customer. Names are unique within their group: the n-th customer of a
        group takes the n-th (word, activity) pair.

        The documents read these columns of the plan: ``n`` (number), ``id``,
        ``contact_id`` (or NULL), ``kind``, ``first_ago`` and ``last_ago``
        (first and last order, days ago), ``order_count``, ``payer`` (good,
        late, bad), ``term_days``, ``profile`` (first product of its orders),
        ``user_id``, ``name``, ``ref``, ``email``, ``first_name``,
        ``last_name``, ``contact_email``, ``city``, ``country_id`` and ``lang``."""
        kinds = SQL(" ").join(
            SQL("WHEN r_kind < %s THEN %s", share, kind) for kind, share in KIND_SHARES
        )
        group_arrays = {}
        for index, group in enumerate(GROUPS, start=1):
            names = NAMES[group]
            for key in ("words", "activities", "forms", "first_names", "last_names",
                        "cities"):  # fmt: skip
                group_arrays[f"{key}_{index}"] = names[key]
            group_arrays[f"countries_{index}"] = self.group_values[index - 1][
                "countries"
            ]
            group_arrays[f"lang_{index}"] = self.group_values[index - 1]["lang"]

        def pick(key, draw):
            """The ``key`` list of the customer's group, indexed by ``draw``."""
            return SQL(
                "CASE g WHEN 1 THEN (%(a1)s::varchar[])[1 + mod(%(d)s, %(n1)s)] "
                "WHEN 2 THEN (%(a2)s::varchar[])[1 + mod(%(d)s, %(n2)s)] "
                "ELSE (%(a3)s::varchar[])[1 + mod(%(d)s, %(n3)s)] END",
                a1=group_arrays[f"{key}_1"],
                a2=group_arrays[f"{key}_2"],
                a3=group_arrays[f"{key}_3"],
                n1=len(group_arrays[f"{key}_1"]),
                n2=len(group_arrays[f"{key}_2"]),
                n3=len(group_arrays[f"{key}_3"]),
                d=draw,
            )

        words = len(NAMES["en"]["words"])
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE plan_customer AS
                WITH draw AS (
                    SELECT n,
                           pg_temp.plan_rand(n, 1) AS r_kind,
                           pg_temp.plan_rand(n, 2) AS r_first,
                           pg_temp.plan_rand(n, 3) AS r_last,
                           pg_temp.plan_rand(n, 4) AS r_gap,
                           pg_temp.plan_rand(n, 5) AS r_payer,
                           pg_temp.plan_rand(n, 6) AS r_term,
                           pg_temp.plan_rand(n, 7) < %(contact_share)s AS has_contact,
                           1 + floor(pg_temp.plan_rand(n, 9) * 3)::int AS g
                      FROM generate_series(1, %(count)s) n
                ), kind AS (
                    SELECT draw.*,
                           CASE %(kinds)s ELSE 'regular' END AS kind,
                           (row_number() OVER (PARTITION BY g ORDER BY n) - 1)::int
                               AS k
                      FROM draw
                ), span AS (
                    -- first and last order (days ago) and the gap between
                    -- orders; seasonal customers buy around the same days
                    -- (last_ago) of this year and the previous one.
                    SELECT kind.*,
                           CASE kind
                                WHEN 'regular' THEN 380 + floor(r_first * 160)::int
                                WHEN 'lapsing' THEN 400 + floor(r_first * 140)::int
                                WHEN 'lapsed' THEN 420 + floor(r_first * 120)::int
                                WHEN 'seasonal' THEN 0
                                WHEN 'one_time' THEN 60 + floor(r_first * 400)::int
                                WHEN 'new' THEN 5 + floor(r_first * 55)::int
                                ELSE 0
                           END AS first_ago,
                           CASE kind
                                WHEN 'regular' THEN floor(r_last * r_last * 30)::int
                                WHEN 'lapsing' THEN 80 + floor(r_last * 100)::int
                                WHEN 'lapsed' THEN 220 + floor(r_last * 180)::int
                                WHEN 'seasonal' THEN 10 + floor(r_last * 150)::int
                                ELSE 0
                           END AS last_ago,
                           CASE kind
                                WHEN 'regular' THEN 20 + floor(r_gap * 40)::int
                                WHEN 'lapsing' THEN 25 + floor(r_gap * 30)::int
                                WHEN 'lapsed' THEN 35 + floor(r_gap * 45)::int
                                ELSE 30
                           END AS gap
                      FROM kind
                )
                SELECT n, g, kind,
                       nextval('res_partner_id_seq')::int AS id,
                       CASE WHEN has_contact
                            THEN nextval('res_partner_id_seq')::int
                       END AS contact_id,
                       CASE kind
                            WHEN 'seasonal' THEN last_ago + 365 + 40
                            WHEN 'one_time' THEN first_ago
                            WHEN 'new' THEN first_ago
                            ELSE first_ago
                       END AS first_ago,
                       CASE kind
                            WHEN 'one_time' THEN first_ago
                            WHEN 'new' THEN floor(first_ago * r_last)::int
                            ELSE last_ago
                       END AS last_ago,
                       CASE kind
                            WHEN 'prospect' THEN 0
                            WHEN 'one_time' THEN 1
                            WHEN 'new' THEN CASE WHEN first_ago > 20 THEN 2 ELSE 1 END
                            WHEN 'seasonal' THEN 4 + floor(r_gap * 4)::int
                            ELSE 1 + (first_ago - last_ago) / gap
                       END AS order_count,
                       CASE WHEN r_payer < 0.62 THEN 'good'
                            WHEN r_payer < 0.87 THEN 'late'
                            ELSE 'bad'
                       END AS payer,
                       (ARRAY[15, 30, 30, 30, 45, 60])[1 + floor(r_term * 6)::int]
                           AS term_days,
                       floor(pg_temp.plan_rand(n, 15) * %(n_products)s)::int
                           AS profile,
                       (%(salespeople)s::int[])[
                           1 + floor(pg_temp.plan_rand(n, 16)
                                     * %(n_salespeople)s)::int] AS user_id,
                       CASE g WHEN 1 THEN %(word)s || ' ' || %(activity)s
                              WHEN 2 THEN %(activity)s || ' ' || %(word)s
                              ELSE %(word)s || ' ' || %(activity)s
                       END || ' ' || %(form)s
                       || CASE WHEN k >= %(pairs)s THEN ' ' || (k / %(pairs)s + 1)
                               ELSE '' END AS name,
                       %(first_name)s AS first_name,
                       %(last_name)s AS last_name,
                       %(city)s AS city,
                       CASE g WHEN 1 THEN (%(countries_1)s::int[])[
                                  1 + floor(pg_temp.plan_rand(n, 14)
                                            * %(n_countries_1)s)::int]
                              WHEN 2 THEN (%(countries_2)s::int[])[1]
                              ELSE (%(countries_3)s::int[])[1]
                       END AS country_id,
                       CASE g WHEN 1 THEN %(lang_1)s WHEN 2 THEN %(lang_2)s
                              ELSE %(lang_3)s END AS lang,
                       'DEMO-REL-C' || lpad(n::text, 4, '0') AS ref,
                       'info@customer' || n || '.example.com' AS email,
                       'buyer' || n || '@customer' || n || '.example.com'
                           AS contact_email
                  FROM span
                 ORDER BY n
                """,
                count=self.customers,
                contact_share=CONTACT_SHARE,
                kinds=kinds,
                n_products=len(self.PRODUCTS),
                salespeople=self.salesperson_ids,
                n_salespeople=len(self.salesperson_ids),
                word=pick("words", SQL("k")),
                activity=pick("activities", SQL("k / %s", words)),
                form=pick("forms", SQL("floor(pg_temp.plan_rand(n, 11) * 100)::int")),
                first_name=pick(
                    "first_names", SQL("floor(pg_temp.plan_rand(n, 12) * 100)::int")
                ),
                last_name=pick(
                    "last_names", SQL("floor(pg_temp.plan_rand(n, 13) * 100)::int")
                ),
                city=pick("cities", SQL("floor(pg_temp.plan_rand(n, 17) * 100)::int")),
                pairs=words * len(NAMES["en"]["activities"]),
                countries_1=group_arrays["countries_1"],
                n_countries_1=len(group_arrays["countries_1"]),
                countries_2=group_arrays["countries_2"],
                countries_3=group_arrays["countries_3"],
                lang_1=group_arrays["lang_1"],
                lang_2=group_arrays["lang_2"],
                lang_3=group_arrays["lang_3"],
            )
        )
        self.cr.execute("CREATE INDEX ON plan_customer (id)")

    def _plan_orders(self):
        """``plan_order`` (ids in date order) and ``plan_order_line``."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE plan_order AS
                SELECT nextval('sale_order_id_seq')::int AS id, planned.*
                  FROM (
                    SELECT dated.*,
                           %(state)s AS state,
                           date_trunc('second', least(
                               (%(today)s::date - dated.days_ago)
                               + interval '8 hours'
                               + pg_temp.plan_rand(dated.okey, 22)
                                 * interval '10 hours',
                               %(now)s::timestamp - interval '1 minute'
                           )) AS date_order,
                           CASE WHEN dated.contact_id IS NOT NULL
                                     AND pg_temp.plan_rand(dated.okey, 23) < 0.4
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
                               k AS seq,
                               c.profile,
                               c.user_id,
                               %(days_ago)s AS days_ago,
                               pg_temp.plan_rand(c.n::bigint * 100000 + k, 21)
                                   AS r_state
                          FROM plan_customer c
                         CROSS JOIN LATERAL generate_series(1, c.order_count) k
                      ) dated
                     ORDER BY dated.days_ago DESC, dated.okey
                  ) planned
                """,
                state=self._order_state_sql(),
                days_ago=self._order_days_ago_sql(),
                today=self.today,
                now=self.now,
            )
        )
        # Confirmed orders are invoiced a few days after the order date.
        self.cr.execute(
            SQL(
                """
                ALTER TABLE plan_order ADD COLUMN invoice_date date;
                UPDATE plan_order
                   SET invoice_date = date_order::date
                                      + floor(pg_temp.plan_rand(okey, 24)
                                              * %(invoice_days)s)::int
                 WHERE state = 'sale';
                UPDATE plan_order SET invoice_date = NULL
                 WHERE invoice_date > %(today)s;
                CREATE INDEX ON plan_order (id);
                """,
                invoice_days=self.INVOICE_DAYS,
                today=self.today,
            )
        )
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE plan_product AS
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
                CREATE TEMP TABLE plan_order_line AS
                SELECT nextval('sale_order_line_id_seq')::int AS id, lines.*
                  FROM (
                    SELECT drawn.order_id, drawn.position, p.product_id, p.uom_id,
                           p.name, p.cost, drawn.qty,
                           price.unit AS price_unit,
                           round(drawn.qty * price.unit, 2) AS subtotal
                      FROM (
                        SELECT o.id AS order_id, k AS position,
                               (1 + floor(pg_temp.plan_rand(o.okey * 4 + k, 31) ^ 2
                                          * %(qty_spread)s))::numeric AS qty,
                               %(product_idx)s AS product_idx,
                               pg_temp.plan_rand(o.okey * 4 + k, 33) AS r_price
                          FROM plan_order o
                         CROSS JOIN LATERAL generate_series(
                               1, 1 + floor(pg_temp.plan_rand(o.okey, 30) * 3)::int) k
                      ) drawn
                      JOIN plan_product p ON p.idx = drawn.product_idx
                     CROSS JOIN LATERAL (
                           SELECT round(
                               (p.price * (0.9 + 0.2 * drawn.r_price))::numeric, 2
                           ) AS unit) price
                     ORDER BY drawn.order_id, drawn.position
                  ) lines;
                CREATE INDEX ON plan_order_line (order_id);
                CREATE TEMP TABLE plan_order_total AS
                SELECT order_id, SUM(subtotal) AS amount,
                       SUM(subtotal - qty * cost) AS margin
                  FROM plan_order_line
                 GROUP BY order_id;
                CREATE INDEX ON plan_order_total (order_id);
                """,
                qty_spread=self.LINE_QTY_SPREAD,
                product_idx=self._line_product_sql(),
            )
        )
        self._plan_order_names()

    def _order_state_sql(self):
        """The state of an order of ``dated`` (``kind``, ``seq``, ``days_ago``,
        ``r_state``): recent orders are sometimes still quotations, a few
        orders were cancelled; a customer's first order is always confirmed."""
        return SQL(
            """
            CASE WHEN dated.seq = 1 THEN 'sale'
                 WHEN dated.days_ago < 20 AND dated.r_state < 0.3 THEN 'draft'
                 WHEN dated.r_state < 0.04 THEN 'cancel'
                 ELSE 'sale'
            END
            """
        )

    def _order_days_ago_sql(self):
        """The date (days ago) of the ``k``-th order of customer ``c``:
        seasonal customers around the same days of this year and the
        previous one, alternately; the others evenly spread with a few days
        of jitter, the first and the last on their day."""
        return SQL(
            """
            CASE WHEN c.kind = 'seasonal'
                 THEN c.last_ago + 365 * mod(k, 2)
                      + floor(pg_temp.plan_rand(c.n::bigint * 100000 + k, 20)
                              * 40)::int
                 WHEN c.order_count = 1 THEN c.first_ago
                 ELSE greatest(c.last_ago, least(c.first_ago,
                      round(c.first_ago - (k - 1)::numeric / (c.order_count - 1)
                            * (c.first_ago - c.last_ago)
                            + CASE WHEN k IN (1, c.order_count) THEN 0
                                   ELSE 6 * pg_temp.plan_rand(
                                       c.n::bigint * 100000 + k, 20) - 3
                              END)::int))
            END
            """
        )

    def _line_product_sql(self):
        """The product (index in ``plan_product``) of the ``k``-th line of
        order ``o``: each customer buys around its own products (its profile),
        so that products sell together."""
        return SQL(
            "mod(o.profile + (k - 1) * 2"
            " + floor(pg_temp.plan_rand(o.okey * 4 + k, 32) ^ 2 * 3)::int, %s)",
            len(self.products),
        )

    def _plan_invoices(self):
        """``plan_invoice``: an invoice per invoiced order, a credit note for
        some of them (a commercial gesture of 10-40 % of the order's first
        line), names per journal prefix and year, and how each one is
        settled."""
        self.cr.execute(
            """
            CREATE TEMP TABLE plan_invoice AS
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
                  FROM plan_order o
                  JOIN plan_order_total t ON t.order_id = o.id
                 WHERE o.invoice_date IS NOT NULL
                 ORDER BY o.invoice_date, o.okey
              ) planned
            """
        )
        self.cr.execute(
            SQL(
                """
                INSERT INTO plan_invoice
                SELECT nextval('account_move_id_seq')::int, planned.*
                  FROM (
                    SELECT i.ikey + 1, 'out_refund', i.order_id, i.origin,
                           i.commercial_id, i.commercial_name, i.payer,
                           refund.invoice_date, refund.invoice_date,
                           %(refund_amount)s, l.id
                      FROM plan_invoice i
                     CROSS JOIN LATERAL (
                           SELECT i.invoice_date + 3
                                  + floor(pg_temp.plan_rand(i.ikey, 41) * 28)::int
                                  AS invoice_date) refund
                      JOIN plan_order_line l
                        ON l.order_id = i.order_id AND l.position = 1
                     WHERE pg_temp.plan_rand(i.ikey, 40) < %(refund_share)s
                       AND refund.invoice_date <= %(today)s
                     ORDER BY refund.invoice_date, i.ikey
                  ) planned
                """,
                refund_amount=self._refund_amount_sql(),
                refund_share=self.REFUND_SHARE,
                today=self.today,
            )
        )
        self._plan_settlements()
        self._plan_document_names()

    def _refund_amount_sql(self):
        """The amount of the credit note of invoice ``i`` refunding order line
        ``l``: a commercial gesture of 10-40 % of the line."""
        return SQL(
            "round((l.subtotal * (0.1 + 0.3 * pg_temp.plan_rand(i.ikey, 42)))"
            "::numeric, 2)"
        )

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
                ALTER TABLE plan_invoice
                    ADD COLUMN payment_state varchar,
                    ADD COLUMN pay_date date,
                    ADD COLUMN paid_amount numeric,
                    ADD COLUMN sequence_prefix varchar,
                    ADD COLUMN sequence_number int,
                    ADD COLUMN name varchar;
                WITH drawn AS (
                    SELECT id, move_type, invoice_date, date_due, amount, payer,
                           pg_temp.plan_rand(ikey, 42) AS r_habit,
                           pg_temp.plan_rand(ikey, 43) AS r_days,
                           pg_temp.plan_rand(ikey, 44) AS r_partial,
                           pg_temp.plan_rand(ikey, 45) AS r_share
                      FROM plan_invoice
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
                UPDATE plan_invoice i
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
        self._number_moves(
            "plan_invoice",
            "invoice_date",
            SQL(
                "CASE move_type WHEN 'out_refund' THEN 'R' ELSE '' END"
                " || %s || '/' || extract(year FROM invoice_date)::int || '/'",
                self.sale_journal.code,
            ),
            self.sale_journal,
        )
        self.cr.execute("CREATE INDEX ON plan_invoice (id)")

    def _number_moves(self, table, date_column, prefix, journal):
        """Name the moves of the plan ``table`` as ``journal`` numbers them:
        per ``prefix`` (an SQL expression on the table's columns), in the
        order of ``date_column``, after the journal's existing moves."""
        self.cr.execute(
            SQL(
                """
                WITH numbered AS (
                    SELECT p.id, p.prefix,
                           COALESCE(last.number, 0)
                           + row_number() OVER (PARTITION BY p.prefix
                                                ORDER BY p.date, p.id) AS number
                      FROM (SELECT id, %(date)s AS date, %(prefix)s AS prefix
                              FROM %(table)s) p
                      LEFT JOIN (SELECT sequence_prefix, MAX(sequence_number) AS number
                                   FROM account_move
                                  WHERE journal_id = %(journal)s
                                  GROUP BY sequence_prefix) last
                        ON last.sequence_prefix = p.prefix
                )
                UPDATE %(table)s m
                   SET sequence_prefix = n.prefix,
                       sequence_number = n.number,
                       name = n.prefix || lpad(n.number::text,
                                               greatest(5, length(n.number::text)), '0')
                  FROM numbered n
                 WHERE n.id = m.id
                """,
                table=SQL.identifier(table),
                date=SQL.identifier(date_column),
                prefix=prefix,
                journal=journal.id,
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
                ALTER TABLE plan_order ADD COLUMN number bigint,
                                        ADD COLUMN name varchar;
                UPDATE plan_order o
                   SET number = n.number,
                       name = %(prefix)s
                              || lpad(n.number::text,
                                      greatest(%(padding)s, length(n.number::text)),
                                      '0')
                              || %(suffix)s
                  FROM (SELECT id, %(start)s - 1 + row_number() OVER (ORDER BY id)
                                   AS number
                          FROM plan_order) n
                 WHERE n.id = o.id
                """,
                prefix=prefix or "",
                suffix=suffix or "",
                padding=sequence.padding,
                start=self.order_name_start,
            )
        )

    def _plan_payments(self):
        """``plan_payment``: one bank transfer per settled or partly paid
        document (a bank statement line and its entry, reconciled with the
        document the way the reconciliation of a bank statement leaves it), its
        partial reconciliation and, when the document is settled in full, its
        full reconciliation; bank entry names per year."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE plan_payment AS
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
                      FROM plan_invoice i
                     WHERE i.paid_amount > 0
                     ORDER BY i.pay_date, i.ikey
                  ) planned;
                """
            )
        )
        self._number_moves(
            "plan_payment",
            "pay_date",
            SQL(
                "%s || '/' || extract(year FROM pay_date)::int || '/'",
                self.bank_journal.code,
            ),
            self.bank_journal,
        )
        self.cr.execute("CREATE INDEX ON plan_payment (invoice_id)")

    def _plan_move_lines(self):
        """``plan_line``: every journal item with its id. Invoices: one
        product line per order line and one receivable line; credit notes: the
        refunded line and a receivable line; bank entries: a bank line and a
        receivable line. ``balance`` is positive on the debit side."""
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE plan_line AS
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
                      FROM plan_invoice i
                      JOIN plan_order_line l ON l.order_id = i.order_id
                     WHERE i.move_type = 'out_invoice'
                     UNION ALL
                    -- credit notes: the refunded line (debit)
                    SELECT i.id, 'product', %(income)s, i.commercial_id, l.product_id,
                           l.uom_id, l.name,
                           CASE WHEN i.amount = l.subtotal THEN l.qty ELSE 1.0 END,
                           CASE WHEN i.amount = l.subtotal THEN l.price_unit
                                ELSE i.amount END,
                           i.amount, 0.0, FALSE, NULL, NULL,
                           CASE WHEN %(link_refunds)s THEN l.id END, 100,
                           i.invoice_date, NULL,
                           i.name, NULL, TRUE, NULL
                      FROM plan_invoice i
                      JOIN plan_order_line l ON l.id = i.refund_line_id
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
                      FROM plan_invoice i
                     CROSS JOIN LATERAL (
                           SELECT CASE i.move_type WHEN 'out_refund' THEN -1 ELSE 1 END
                                  AS sign) s
                      LEFT JOIN plan_payment p ON p.invoice_id = i.id
                     UNION ALL
                    -- bank entries: the bank line (debit when the customer pays;
                    -- bank accounts keep a residual although not reconcilable)
                    SELECT p.id, 'bank', %(bank)s, p.commercial_id, NULL, NULL,
                           p.payment_ref, 1.0, 0.0, s.sign * p.paid_amount,
                           s.sign * p.paid_amount, FALSE, NULL, NULL, NULL, 100,
                           p.pay_date, p.pay_date, p.name, NULL, FALSE,
                           p.statement_line_id
                      FROM plan_payment p
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
                      FROM plan_payment p
                     CROSS JOIN LATERAL (
                           SELECT CASE p.move_type WHEN 'out_refund' THEN -1 ELSE 1 END
                                  AS sign) s
                     ORDER BY move_id, sequence, order_line_id
                  ) planned;
                CREATE INDEX ON plan_line (move_id, kind);
                """,
                income=self.income_account.id,
                receivable=self.receivable_account.id,
                bank=self.bank_account.id,
                link_refunds=self.LINK_REFUND_LINES,
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
                    supplier_rank, lang, email, email_normalized, city, country_id,
                    user_id, color, partner_share, message_bounce, invoice_warn,
                    sale_warn, picking_warn, purchase_warn, autopost_bills,
                    calendar_last_notif_ack, create_uid, create_date, write_uid,
                    write_date)
                SELECT c.id, c.name, c.name, c.name, c.ref, 'contact', TRUE, TRUE,
                       c.id, greatest(1, c.order_count), 0, c.lang, c.email, c.email,
                       c.city, c.country_id, c.user_id, 0, TRUE, 0, 'no-message',
                       'no-message', 'no-message', 'no-message', 'ask', created.at,
                       %(uid)s, created.at, %(uid)s, created.at
                  FROM plan_customer c
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
                    supplier_rank, lang, email, email_normalized, city, country_id,
                    function, color, partner_share, message_bounce, invoice_warn,
                    sale_warn, picking_warn, purchase_warn, autopost_bills,
                    calendar_last_notif_ack, create_uid, create_date, write_uid,
                    write_date)
                SELECT c.contact_id, person.name, c.name || ', ' || person.name, c.name,
                       c.id, 'contact', FALSE, TRUE, c.id, 0, 0, c.lang,
                       c.contact_email, c.contact_email, c.city, c.country_id,
                       %(function)s, 0, TRUE, 0,
                       'no-message', 'no-message', 'no-message', 'no-message', 'ask',
                       created.at, %(uid)s, created.at, %(uid)s, created.at
                  FROM plan_customer c
                 CROSS JOIN LATERAL (
                       SELECT c.first_name || ' ' || c.last_name AS name) person
                 CROSS JOIN LATERAL (
                       SELECT %(now)s::timestamp
                              - make_interval(days => c.first_ago + 7) AS at) created
                 WHERE c.contact_id IS NOT NULL
                 ORDER BY c.contact_id
                """,
                function="Purchasing",
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
                       o.partner_id, %(currency)s, o.user_id, %(team)s, o.state,
                       CASE WHEN o.invoice_date IS NOT NULL THEN 'invoiced'
                            WHEN o.state = 'sale' THEN 'to invoice'
                            ELSE 'no'
                       END,
                       o.date_order, o.date_order::date + 30, 1.0, t.amount, 0.0,
                       t.amount, t.margin, t.margin / NULLIF(t.amount, 0), FALSE,
                       TRUE, FALSE, 1.0, %(warehouse)s, 'direct', %(uid)s,
                       o.date_order, %(uid)s, o.date_order
                  FROM plan_order o
                  JOIN plan_order_total t ON t.order_id = o.id
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
                       o.partner_id, o.user_id, l.product_id, l.uom_id, o.state,
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
                  FROM plan_order_line l
                  JOIN plan_order o ON o.id = l.order_id
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
                  FROM plan_payment
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
                  FROM plan_invoice i
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
                      FROM plan_payment p
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
                  FROM plan_payment p
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
                  FROM plan_line l
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
                  FROM plan_payment p
                  JOIN plan_line term
                    ON term.move_id = p.invoice_id AND term.kind = 'term'
                  JOIN plan_line counterpart
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
              FROM plan_line
             WHERE order_line_id IS NOT NULL
            """
        )
        counts["sale_order_line_invoice_rel"] = cr.rowcount
        return counts

    def _insert_messages(self):
        """Emails from the customer (its contact person when it has one) and
        internal notes of its salesperson, in the customer's language, spread
        over its active months and denser towards its last order."""
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
                            ELSE u.partner_id END,
                       CASE WHEN kind.is_email
                            THEN c.email ELSE author.email END,
                       text.subject, '<p>' || text.body || '</p>',
                       '<' || %(message_id)s || '.' || m.key || '@example.com>',
                       dated.at, NOT kind.is_email, FALSE, TRUE, %(uid)s, dated.at,
                       %(uid)s, dated.at
                  FROM plan_customer c
                  JOIN res_users u ON u.id = c.user_id
                  JOIN res_partner author ON author.id = u.partner_id
                 CROSS JOIN LATERAL (
                       SELECT c.n::bigint * 100 + k AS key
                         FROM generate_series(
                              1, floor(pg_temp.plan_rand(c.n, 50) * %(max)s)::int) k) m
                 CROSS JOIN LATERAL (
                       SELECT pg_temp.plan_rand(m.key, 51) < 0.6 AS is_email) flag
                 CROSS JOIN LATERAL (
                       SELECT flag.is_email,
                              CASE WHEN flag.is_email THEN 'email' ELSE 'comment' END
                              AS message_type) kind
                 CROSS JOIN LATERAL (%(text)s) text
                 CROSS JOIN LATERAL (
                       SELECT date_trunc('second', least(
                           (%(today)s::date - c.last_ago
                            - floor(pg_temp.plan_rand(m.key, 53) ^ 2
                                    * (c.first_ago - c.last_ago + 1))::int)
                           + interval '8 hours'
                           + pg_temp.plan_rand(m.key, 54) * interval '10 hours',
                           %(now)s::timestamp - interval '1 minute')) AS at) dated
                 WHERE %(customers)s
                """,
                comment=self.comment_subtype.id,
                note=self.note_subtype.id,
                text=self._message_text_sql(),
                message_id=self.MESSAGE_ID_PREFIX,
                customers=self._message_customers_sql(),
                max=MAX_MESSAGES,
                **self._common_values(),
            )
        )
        return self.cr.rowcount

    def _message_customers_sql(self):
        """The customers ``c`` with messages."""
        return SQL("c.kind != 'prospect'")

    def _message_text_sql(self):
        """``subject`` and ``body`` of message ``m`` on customer ``c`` (an
        email when ``flag.is_email``): in the customer's language; customers
        write the first three texts of their group, salespeople the rest."""
        per_group = len(MESSAGES["en"])
        return SQL(
            """
            SELECT (%(subjects)s::varchar[])[idx] AS subject,
                   (%(bodies)s::varchar[])[idx] AS body
              FROM (SELECT (c.g - 1) * %(per_group)s + 1
                           + CASE WHEN flag.is_email
                                  THEN floor(pg_temp.plan_rand(m.key, 52) * 3)::int
                                  ELSE 3 + floor(pg_temp.plan_rand(m.key, 52)
                                                 * (%(per_group)s - 3))::int
                             END AS idx) picked
            """,
            subjects=[subject for group in GROUPS for subject, __ in MESSAGES[group]],
            bodies=[body for group in GROUPS for __, body in MESSAGES[group]],
            per_group=per_group,
        )

    def _advance_order_sequence(self):
        """Move the ``sale.order`` sequence past the names used."""
        self.cr.execute("SELECT COALESCE(MAX(number), 0) FROM plan_order")
        last = self.cr.fetchone()[0]
        if last >= self.order_name_start:
            self.order_sequence.sudo().write({"number_next": last + 1})
            self.order_sequence.flush_recordset()

    # ------------------------------------------------------------------
    # Through the ORM: interactions and satisfaction answers
    # ------------------------------------------------------------------

    def _customer_ids(self):
        """``{kind: [(customer id, contact id or None, last order days ago,
        customer number)]}`` of the customers with documents."""
        self.cr.execute(
            "SELECT kind, id, contact_id, last_ago, n FROM plan_customer "
            "WHERE kind != 'prospect' ORDER BY n"
        )
        result = {}
        for kind, *row in self.cr.fetchall():
            result.setdefault(kind, []).append(tuple(row))
        return result

    def _when(self, days_ago, hour=10):
        return fields.Datetime.to_string(
            fields.Datetime.now().replace(hour=hour, minute=0, second=0, microsecond=0)
            - timedelta(days=days_ago)
        )

    def _create_interactions(self, customers):
        """One to three logged interactions per active customer, around its
        last order; a complaint for some lapsing ones."""
        values = []
        for kind, rows in customers.items():
            for partner_id, contact_id, last_ago, n in rows:
                count = (
                    1 + n % 3 if kind in ("regular", "lapsing", "seasonal") else n % 2
                )
                for index in range(count):
                    name, channel, direction, outcome, summary = INTERACTIONS[
                        (n + index * 2 + (2 if kind == "lapsing" else 0))
                        % len(INTERACTIONS)
                    ]
                    values.append(
                        {
                            "name": name,
                            "partner_id": partner_id,
                            "contact_id": contact_id,
                            "channel": channel,
                            "direction": direction,
                            "outcome": outcome,
                            "summary": f"<p>{summary}</p>",
                            "date": self._when(last_ago + 3 + 17 * index, 9 + index),
                            "user_id": self.user.id,
                        }
                    )
        self.env["relationship.interaction"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        ).create(values)
        return len(values)

    def _create_satisfaction(self, customers):
        """CSAT (1-5) and NPS (0-10) answers: happy regular buyers, mixed
        seasonal and new ones, unhappy lapsing and lapsed ones."""
        mood = {
            "regular": (5, 9),
            "seasonal": (4, 8),
            "new": (4, 9),
            "one_time": (3, 7),
            "lapsing": (2, 5),
            "lapsed": (2, 4),
        }
        comments = {
            5: "Quick installation and friendly team.",
            2: "The installation was late and nobody called us.",
        }
        values = []
        for kind, rows in customers.items():
            csat, nps = mood[kind]
            for partner_id, __, last_ago, n in rows:
                if n % 5 == 0:
                    continue
                spread = (n % 3) - 1  # -1, 0 or +1 around the kind's mood
                value = max(1, min(5, csat + spread))
                values.append(
                    {
                        "partner_id": partner_id,
                        "kind": "csat",
                        "value": value,
                        "date": self._when(last_ago + 7, 16),
                        "comment": comments.get(value, False),
                    }
                )
                if n % 2:
                    values.append(
                        {
                            "partner_id": partner_id,
                            "kind": "nps",
                            "value": max(0, min(10, nps + 2 * spread)),
                            "date": self._when(last_ago + 30, 16),
                        }
                    )
        self.env["relationship.satisfaction"].create(values)
        return len(values)
