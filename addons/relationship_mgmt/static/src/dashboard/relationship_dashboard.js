/** @odoo-module **/

import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

/**
 * The Relationships app home: the cards of relationship.dashboard
 * (get_dashboard_data), each opening the records behind it.
 */
export class RelationshipDashboard extends Component {
    static template = "relationship_mgmt.RelationshipDashboard";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null, loading: true });
        this.display = { controlPanel: {} };
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        this.state.data = await this.orm.call(
            "relationship.dashboard",
            "get_dashboard_data",
            []
        );
        this.state.loading = false;
    }

    /** Open the card's records, narrowed to one of its lines when given. */
    open(card, item = null) {
        const action = { ...card.action };
        if (item && item.domain) {
            action.domain = [...card.action.domain, ...item.domain];
            action.name = `${card.action.name}: ${item.label}`;
            action.display_name = action.name;
        }
        return this.actionService.doAction(action);
    }

    trendClass(card) {
        const direction = card.trend && card.trend.direction;
        if (direction === "up") {
            return "text-success fa-arrow-up";
        }
        if (direction === "down") {
            return "text-danger fa-arrow-down";
        }
        return "text-muted fa-arrow-right";
    }

    trendText(card) {
        const delta = card.trend.delta;
        return `${delta > 0 ? "+" : ""}${delta}`;
    }

    /** Height (px) of a month's column in a trend card. */
    columnHeight(card, point) {
        if (!point.count) {
            return 0;
        }
        const values = card.series.filter((p) => p.count).map((p) => p.value);
        const low = Math.min(0, ...values);
        const high = Math.max(...values, low + 1);
        return Math.max(6, Math.round((88 * (point.value - low)) / (high - low)));
    }

    deltaText(item) {
        if (!item.delta) {
            return "";
        }
        return item.delta > 0 ? `+${item.delta}` : `${item.delta}`;
    }
}

registry.category("actions").add("relationship_mgmt.dashboard", RelationshipDashboard);
