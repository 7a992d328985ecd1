/** @odoo-module **/

import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { KanbanRenderer } from "@web/views/kanban/kanban_renderer";
import { StatusBarField, statusBarField } from "@web/views/fields/statusbar/statusbar_field";

// Only a resolution closes a dispute: moving one to a Resolved or Rejected
// stage (kanban drag and drop, status bar click) opens the resolution window
// instead of a write the server refuses.

async function moveToStage(orm, action, resId, stageId, reload) {
    const next = await orm.call("relationship.dispute", "action_move_to_stage", [
        [resId],
        stageId,
    ]);
    if (next) {
        await action.doAction(next, { onClose: reload });
    } else {
        await reload();
    }
}

export class DisputeKanbanRenderer extends KanbanRenderer {
    setup() {
        super.setup();
        this.orm = useService("orm");
        this.actionService = useService("action");
    }

    async sortRecordDrop(dataRecordId, dataGroupId, params) {
        const target = this.props.list.groups.find((g) => g.id === params.parent?.dataset.id);
        const source = this.props.list.groups.find((g) => g.id === dataGroupId);
        if (!target || target === source) {
            return super.sortRecordDrop(...arguments);
        }
        const record = source.list.records.find((r) => r.id === dataRecordId);
        params.parent.classList.remove("o_kanban_hover");
        await moveToStage(this.orm, this.actionService, record.resId, target.value, () =>
            this.props.list.model.load()
        );
    }
}

registry.category("views").add("relationship_dispute_kanban", {
    ...kanbanView,
    Renderer: DisputeKanbanRenderer,
});

export class DisputeStatusBarField extends StatusBarField {
    setup() {
        super.setup();
        this.orm = useService("orm");
        this.actionService = useService("action");
    }

    async selectItem(item) {
        const { record } = this.props;
        if (!(await record.save())) {
            return;
        }
        await moveToStage(this.orm, this.actionService, record.resId, item.value, () =>
            record.load()
        );
    }
}

registry.category("fields").add("relationship_dispute_statusbar", {
    ...statusBarField,
    component: DisputeStatusBarField,
});
