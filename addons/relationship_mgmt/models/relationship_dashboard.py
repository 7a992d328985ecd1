from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date

from ..engine import analytics as analytics_engine
from ..engine.signals import RELATIONSHIP_MANAGER_GROUP, RELATIONSHIP_USER_GROUP
from ..tools import rpc
from .relationship_engagement import TIERS

# Tiers from best to worst; "new" customers have no rank (no movement).
TIER_RANK = {key: rank for rank, (key, __) in enumerate(TIERS) if key != "new"}
# Tier movement is measured against the snapshot of this many days ago.
MOVEMENT_DAYS = 30
# Months of satisfaction trend, the current one included.
TREND_MONTHS = 6
# Customers at high churn risk listed on the revenue card.
RISK_LISTED = 4


class RelationshipDashboard(models.AbstractModel):
    """The figures of the Relationships app home: one card per question a
    manager asks every morning, each read with one grouped query in the
    companies asked for, and each opening the records behind it."""

    _name = "relationship.dashboard"
    _description = "Relationship Dashboard"

    @api.model
    def get_dashboard_data(self, company_ids=False):
        """The dashboard's cards for ``company_ids`` (ids of companies the
        user works in; every company the user works in when left out).

        :return: ``{"companies": [...], "currency": {...}, "cards": [...]}``,
            each card a dict with ``key``, ``title``, ``value``,
            ``value_display``, ``subtitle``, ``trend``, ``items``,
            ``series``, ``empty`` (what to do when it has no data) and
            ``action`` (the window action opening its records)
        """
        if not self.env.user.has_group(RELATIONSHIP_USER_GROUP):
            raise AccessError(
                self.env._("Only Relationships users may read the dashboard.")
            )
        companies = self._dashboard_companies(company_ids)
        dashboard = self.with_context(allowed_company_ids=companies.ids)
        currency = dashboard.env.company.currency_id
        cards = dashboard._dashboard_cards(companies)
        return {
            "companies": [
                {"id": company.id, "name": company.name} for company in companies
            ],
            "currency": self._dashboard_currency(currency),
            "is_manager": self.env.user.has_group(RELATIONSHIP_MANAGER_GROUP),
            "date": rpc.iso(fields.Date.context_today(dashboard)),
            "cards": sorted(cards, key=lambda card: card["sequence"]),
        }

    # ------------------------------------------------------------------
    # Input
    # ------------------------------------------------------------------

    @api.model
    def _dashboard_companies(self, company_ids):
        """The companies of ``company_ids``, checked as every public method
        checks its ids, the current company first (its currency is the
        dashboard's)."""
        if company_ids is False:
            companies = self.env.companies
        else:
            if company_ids == []:
                raise UserError(
                    self.env._(
                        "Give at least one company id, or leave the company ids "
                        "out for every company you work in."
                    )
                )
            # The companies are their own company for the check.
            companies = rpc.checked_records(
                self.env,
                "res.company",
                company_ids,
                self.env._("company ids"),
                company_of=lambda company: company,
            )
        current = self.env.company
        if current in companies:
            companies = current | (companies - current)
        return companies

    # ------------------------------------------------------------------
    # Cards
    # ------------------------------------------------------------------

    @api.model
    def _dashboard_cards(self, companies):
        """The cards of ``companies`` the user may read: addons add theirs
        (relationship_brm: disputes, obligations, trust)."""
        cards = []
        if self.env["relationship.engagement"].has_access("read"):
            cards.append(self._card_tiers(companies))
        if self.env["relationship.analytics"].has_access("read"):
            cards.extend(self._cards_churn(companies))
        if self.env["relationship.satisfaction"].has_access("read"):
            cards.extend(self._cards_satisfaction(companies))
        return cards

    @api.model
    def _card(self, key, title, sequence, action, **values):
        card = {
            "key": key,
            "title": title,
            "sequence": sequence,
            "value": False,
            "value_display": "",
            "unit": "",
            "subtitle": "",
            "trend": False,
            "items": [],
            "series": [],
            "empty": False,
            "action": action,
        }
        card.update(values)
        return card

    @api.model
    def _card_action(self, xmlid, domain, name=None):
        """The window action ``xmlid`` on ``domain``, opening on its list."""
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        views = action.get("views") or [(False, "list"), (False, "form")]
        action["views"] = sorted(views, key=lambda view: view[1] != "list")
        action["view_mode"] = ",".join(view[1] for view in action["views"])
        action["domain"] = domain
        # Without the action's default filters: the card's domain is the filter.
        action["context"] = {}
        if name:
            action["display_name"] = action["name"] = name
        return action

    @api.model
    def _count_items(self, field, counts, labels, tones):
        """A card's bars: one per ``(value, tone)`` of ``tones``, with the
        count of ``counts`` for that value of ``field``, its share of the
        total and the domain that lists them."""
        total = sum(counts.values())
        return [
            {
                "key": value,
                "label": labels[value],
                "value": counts.get(value, 0),
                "value_display": str(counts.get(value, 0)),
                "percent": round(100.0 * counts.get(value, 0) / total, 1)
                if total
                else 0.0,
                "tone": tone,
                "domain": [(field, "=", value)],
            }
            for value, tone in tones
        ]

    @api.model
    def _refresh_hint(self, menu):
        """What to do when a card has no data: managers use the Refresh Now
        menu, users ask them."""
        if self.env.user.has_group(RELATIONSHIP_MANAGER_GROUP):
            return self.env._("Use Refresh Now › %(menu)s.", menu=menu)
        return self.env._(
            "A Relationships manager fills it with Refresh Now › %(menu)s.", menu=menu
        )

    # ---- Customers by tier ----

    @api.model
    def _card_tiers(self, companies):
        """Customers by engagement tier now, and how each tier moved since
        the snapshot of MOVEMENT_DAYS ago (one query)."""
        Engagement = self.env["relationship.engagement"]
        domain = [("company_id", "in", companies.ids)]
        since = fields.Date.context_today(self) - timedelta(days=MOVEMENT_DAYS)
        query = Engagement._search(domain)
        # The tier of each customer's last snapshot taken on or before
        # `since` (none for customers scored later).
        self.env["relationship.engagement.snapshot"].flush_model()
        Engagement.flush_model(["tier", "partner_id", "company_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT e.tier, before.tier, COUNT(*)
                  FROM relationship_engagement e
                  LEFT JOIN LATERAL (
                        SELECT s.tier
                          FROM relationship_engagement_snapshot s
                         WHERE s.partner_id = e.partner_id
                           AND s.company_id = e.company_id
                           AND s.date <= %(since)s
                         ORDER BY s.date DESC
                         LIMIT 1
                       ) before ON TRUE
                 WHERE e.id IN %(ids)s
                 GROUP BY 1, 2
                """,
                since=since,
                ids=query.subselect(),
            )
        )
        now, before = dict.fromkeys(TIER_RANK, 0), dict.fromkeys(TIER_RANK, 0)
        now["new"] = before["new"] = 0
        upgraded = downgraded = 0
        for tier_now, tier_before, count in self.env.cr.fetchall():
            now[tier_now] += count
            if tier_before:
                before[tier_before] += count
            if tier_now in TIER_RANK and tier_before in TIER_RANK:
                if TIER_RANK[tier_now] < TIER_RANK[tier_before]:
                    upgraded += count
                elif TIER_RANK[tier_now] > TIER_RANK[tier_before]:
                    downgraded += count
        total = sum(now.values())
        labels = dict(Engagement._fields["tier"]._description_selection(self.env))
        tones = zip(
            (key for key, __ in TIERS),
            ("success", "info", "primary", "warning", "danger", "secondary"),
            strict=True,
        )
        items = self._count_items("tier", now, labels, tones)
        for item in items:
            item["delta"] = now[item["key"]] - before[item["key"]]
        _ = self.env._
        return self._card(
            "tiers",
            _("Customers by Tier"),
            10,
            self._card_action(
                "relationship_mgmt.relationship_engagement_action",
                domain,
                name=_("Customers by Tier"),
            ),
            value=total,
            value_display=str(total),
            unit=_("customers scored"),
            subtitle=_(
                "Since %(date)s: %(up)s moved up a tier, %(down)s moved down.",
                date=format_date(self.env, since),
                up=upgraded,
                down=downgraded,
            ),
            trend={"up": upgraded, "down": downgraded} if total else False,
            items=items,
            empty=False
            if total
            else _(
                "No scores yet. %(hint)s",
                hint=self._refresh_hint(_("Recompute All Engagement Scores")),
            ),
        )

    # ---- Churn risk and revenue at risk ----

    @api.model
    def _cards_churn(self, companies):
        """Customers by churn level, and the value of those at high risk
        (one query for both cards: counts and sums by company and level)."""
        Analytics = self.env["relationship.analytics"]
        domain = [("company_id", "in", companies.ids), ("order_count", ">", 0)]
        query = Analytics._search(domain)
        Analytics.flush_model(
            ["company_id", "order_count", "churn_risk", "revenue_to_date"]
        )
        Analytics.flush_model(["predicted_revenue", "horizon_months"])
        self.env.cr.execute(
            SQL(
                """
                SELECT a.company_id,
                       CASE WHEN a.churn_risk >= %(high)s THEN 'high'
                            WHEN a.churn_risk >= %(medium)s THEN 'medium'
                            ELSE 'low' END,
                       COUNT(*),
                       SUM(COALESCE(a.revenue_to_date, 0)),
                       SUM(COALESCE(a.predicted_revenue, 0)),
                       MAX(a.horizon_months)
                  FROM relationship_analytics a
                 WHERE a.id IN %(ids)s
                 GROUP BY 1, 2
                """,
                high=analytics_engine.HIGH_RISK,
                medium=analytics_engine.MEDIUM_RISK,
                ids=query.subselect(),
            )
        )
        rows = self.env.cr.fetchall()
        counts = {"low": 0, "medium": 0, "high": 0}
        revenue = predicted = 0.0
        horizon = 0
        currency = self.env.company.currency_id
        today = fields.Date.context_today(self)
        for company_id, level, count, to_date, forecast, months in rows:
            counts[level] += count
            if level != "high":
                continue
            company = self.env["res.company"].browse(company_id)
            # Each company's amounts in the dashboard's currency, at today's rate.
            revenue += company.currency_id._convert(to_date, currency, company, today)
            predicted += company.currency_id._convert(
                forecast, currency, company, today
            )
            horizon = max(horizon, months or 0)
        total = sum(counts.values())
        _ = self.env._
        empty = (
            False
            if total
            else _(
                "No churn risk yet. %(hint)s",
                hint=self._refresh_hint(_("Refresh Customer Analytics")),
            )
        )
        high_domain = [*domain, ("churn_level", "=", "high")]
        at_risk_value = revenue + predicted
        # The customers of the most value among them, to call first.
        largest = Analytics.search(
            high_domain, order="revenue_to_date desc, id", limit=RISK_LISTED
        )
        revenue_card = self._card(
            "revenue_at_risk",
            _("Revenue at Risk"),
            20,
            self._card_action(
                "relationship_mgmt.relationship_analytics_action_churn",
                high_domain,
                name=_("Customers at High Churn Risk"),
            ),
            value=currency.round(at_risk_value),
            value_display=format_amount(self.env, at_risk_value, currency),
            unit=_("lifetime value of customers at high churn risk"),
            subtitle=_(
                "%(count)s customers at high risk: %(to_date)s invoiced to date, "
                "%(predicted)s predicted over %(months)s months.",
                count=counts["high"],
                to_date=format_amount(self.env, revenue, currency),
                predicted=format_amount(self.env, predicted, currency),
                months=horizon,
            ),
            currency=self._dashboard_currency(currency),
            count=counts["high"],
            items=[
                {
                    "key": str(record.id),
                    "label": record.partner_id.display_name,
                    "value": record.lifetime_value,
                    "value_display": format_amount(
                        self.env, record.lifetime_value, record.currency_id
                    ),
                    "tone": "danger",
                    "domain": [("id", "=", record.id)],
                }
                for record in largest
            ],
            empty=empty,
        )
        labels = dict(Analytics._fields["churn_level"]._description_selection(self.env))
        levels = (("high", "danger"), ("medium", "warning"), ("low", "success"))
        churn_card = self._card(
            "churn",
            _("Churn Risk"),
            30,
            self._card_action(
                "relationship_mgmt.relationship_analytics_action_churn",
                domain,
                name=_("Churn Risk"),
            ),
            value=round(100.0 * counts["high"] / total, 1) if total else 0.0,
            value_display=f"{100.0 * counts['high'] / total:.0f} %" if total else "",
            unit=_("of customers at high risk"),
            subtitle=_("%(count)s customers with orders.", count=total),
            items=self._count_items("churn_level", counts, labels, levels),
            empty=empty,
        )
        return [revenue_card, churn_card]

    # ---- NPS and CSAT ----

    @api.model
    def _cards_satisfaction(self, companies):
        """NPS and average CSAT by month over the last TREND_MONTHS months
        (one grouped read for both cards)."""
        Satisfaction = self.env["relationship.satisfaction"]
        first_month = fields.Date.context_today(self).replace(day=1) - relativedelta(
            months=TREND_MONTHS - 1
        )
        domain = [
            ("company_id", "in", companies.ids),
            ("date", ">=", fields.Datetime.to_datetime(first_month)),
        ]
        months = [first_month + relativedelta(months=n) for n in range(TREND_MONTHS)]
        nps = {month: {"promoter": 0, "passive": 0, "detractor": 0} for month in months}
        csat = {month: [0, 0] for month in months}  # count, sum of values
        for kind, month, category, count, total in Satisfaction._read_group(
            domain,
            ["kind", "date:month", "nps_category"],
            ["__count", "value:sum"],
        ):
            month = month.date() if hasattr(month, "date") else month
            if month not in csat:
                continue
            if kind == "nps" and category:
                nps[month][category] += count
            elif kind == "csat":
                csat[month][0] += count
                csat[month][1] += total
        _ = self.env._
        nps_series = []
        for month in months:
            answers = sum(nps[month].values())
            score = (
                round(
                    100.0 * (nps[month]["promoter"] - nps[month]["detractor"]) / answers
                )
                if answers
                else False
            )
            nps_series.append(self._point(month, score, answers, str(score)))
        csat_series = []
        for month in months:
            count, total = csat[month]
            average = round(total / count, 2) if count else False
            csat_series.append(
                self._point(month, average, count, f"{average:.1f}" if count else "")
            )
        nps_card = self._trend_card(
            "nps",
            _("Net Promoter Score"),
            40,
            nps_series,
            _("NPS from -100 to 100 (promoters less detractors)"),
            self._card_action(
                "relationship_mgmt.relationship_satisfaction_action",
                [*domain, ("kind", "=", "nps")],
                name=_("NPS Answers"),
            ),
        )
        csat_card = self._trend_card(
            "csat",
            _("Customer Satisfaction"),
            50,
            csat_series,
            _("average CSAT from 1 to 5"),
            self._card_action(
                "relationship_mgmt.relationship_satisfaction_action",
                [*domain, ("kind", "=", "csat")],
                name=_("CSAT Answers"),
            ),
        )
        return [nps_card, csat_card]

    @api.model
    def _point(self, month, value, count, value_display):
        return {
            "date": rpc.iso(month),
            "label": format_date(self.env, month, date_format="MMM yyyy"),
            "value": value,
            "count": count,
            "value_display": value_display if count else "",
        }

    @api.model
    def _trend_card(self, key, title, sequence, series, unit, action):
        """A card showing the last month with answers and its change since
        the month with answers before it."""
        _ = self.env._
        measured = [point for point in series if point["count"]]
        last = measured[-1] if measured else False
        trend = False
        if len(measured) > 1:
            delta = round(last["value"] - measured[-2]["value"], 2)
            trend = {
                "delta": delta,
                "direction": "up" if delta > 0 else "down" if delta < 0 else "flat",
                "since": measured[-2]["label"],
            }
        return self._card(
            key,
            title,
            sequence,
            action,
            value=last["value"] if last else False,
            value_display=last["value_display"] if last else "",
            unit=unit,
            subtitle=_(
                "%(month)s, %(count)s answers.",
                month=last["label"],
                count=last["count"],
            )
            if last
            else "",
            trend=trend,
            series=series,
            empty=False
            if last
            else _(
                "No answers in the last %(months)s months. Record answers under "
                "Customers › Satisfaction, or link a survey to a post-sale program.",
                months=TREND_MONTHS,
            ),
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    @api.model
    def _dashboard_currency(self, currency):
        """What the web client needs to format amounts of ``currency``."""
        return {
            "id": currency.id,
            "name": currency.name,
            "symbol": currency.symbol,
            "position": currency.position,
            "decimal_places": currency.decimal_places,
        }
