// The panels a workspace can hold and the two starting arrangements. "desk" is the trader's
// single screen: market watch on the left, the RFQ ticket (order book behind it) in the centre,
// blotters on the right, analytics, notifications and the risk/admin panels in a tabbed strip
// below. "analysis" gives the analytics the room: analytics left, blotters right, market watch and
// notifications below. Sizes are fractions of the dock, so a preset fits any screen and a
// 1600×900 one without page scrolling.

import type { DockviewApi } from "dockview-react";
import type { PanelId, Preset } from "../state/prefs";

export const PANEL_TITLES: Record<PanelId, string> = {
  market: "Market watch",
  ticket: "RFQ ticket",
  orderbook: "Order book",
  blotters: "Blotters",
  analytics: "Analytics",
  admin: "Risk & admin",
  console: "Administration",
  notifications: "Notifications",
};

type Placement = { panel: PanelId; at: "root-left" | "root-right" | "root-below" | "right-of" | "below" | "tab-of"; of?: PanelId; share?: number };

const DESK: Placement[] = [
  { panel: "market", at: "root-left" },
  { panel: "ticket", at: "right-of", of: "market", share: 0.72 },
  { panel: "orderbook", at: "tab-of", of: "ticket" },
  { panel: "blotters", at: "right-of", of: "ticket", share: 0.52 },
  { panel: "analytics", at: "root-below", share: 0.36 },
  { panel: "notifications", at: "tab-of", of: "analytics" },
  { panel: "admin", at: "tab-of", of: "analytics" },
  { panel: "console", at: "tab-of", of: "analytics" },
];

const ANALYSIS: Placement[] = [
  { panel: "analytics", at: "root-left" },
  { panel: "blotters", at: "right-of", of: "analytics", share: 0.42 },
  { panel: "market", at: "root-below", share: 0.32 },
  { panel: "ticket", at: "right-of", of: "market", share: 0.5 },
  { panel: "orderbook", at: "tab-of", of: "ticket" },
  { panel: "notifications", at: "tab-of", of: "ticket" },
  { panel: "admin", at: "tab-of", of: "ticket" },
  { panel: "console", at: "tab-of", of: "ticket" },
];

/** Panel `id` added to the dock with its title. */
function panelOptions(id: PanelId) {
  return { id, component: id, title: PANEL_TITLES[id] };
}

/** Lays `preset` out in an empty dock, with only the panels in `allowed`. A placement whose
 * reference panel is not allowed falls back to the nearest sensible place. */
export function applyPreset(api: DockviewApi, preset: Preset, allowed: (id: PanelId) => boolean): void {
  api.clear();
  const width = api.width || 1600;
  const height = api.height || 860;
  for (const step of preset === "analysis" ? ANALYSIS : DESK) {
    if (!allowed(step.panel)) continue;
    const ref = step.of && api.getPanel(step.of) ? step.of : undefined;
    const share = step.share ?? 1;
    const options = panelOptions(step.panel);
    if (step.at === "tab-of" && ref) {
      api.addPanel({ ...options, position: { referencePanel: ref, direction: "within" }, inactive: true });
    } else if (step.at === "right-of" && ref) {
      const refWidth = api.getPanel(ref)!.group.api.width || width;
      api.addPanel({ ...options, position: { referencePanel: ref, direction: "right" }, initialWidth: Math.round(refWidth * share) });
    } else if (step.at === "root-below") {
      api.addPanel({ ...options, position: { direction: "below" }, initialHeight: Math.round(height * share) });
    } else {
      api.addPanel({ ...options, position: { direction: step.at === "root-left" ? "left" : "right" } });
    }
  }
  const front = api.getPanel(preset === "analysis" ? "analytics" : "ticket") ?? api.panels[0];
  front?.api.setActive();
}

/** Opens panel `id` as a tab of the active group (or at the right when the dock is empty). */
export function openPanel(api: DockviewApi, id: PanelId): void {
  const existing = api.getPanel(id);
  if (existing) {
    existing.api.setActive();
    return;
  }
  const group = api.activeGroup;
  api.addPanel({
    ...panelOptions(id),
    position: group ? { referenceGroup: group, direction: "within" } : { direction: "right" },
  });
}
