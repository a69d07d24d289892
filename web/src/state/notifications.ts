// Notifications: quote received, RFQ expired, risk refusals, connection lost/restored, market
// data stale/recovered. Newest first, bounded; the latest two show as toasts in the workspace bar
// for a few seconds. Notes pushed with the same key (the quotes of one RFQ) share one toast that
// counts them instead of stacking.

import { create } from "zustand";

export type Severity = "INFO" | "WARNING" | "ERROR";

export interface Note {
  id: number;
  at: number;
  severity: Severity;
  title: string;
  message: string;
  /** Notes with the same key share one toast. */
  key?: string;
  /** How many notes this toast stands for. */
  count: number;
}

const KEEP = 100;
const TOAST_MS = 5_000;
const TOASTS_SHOWN = 2;

interface NotificationState {
  notes: Note[];
  toasts: Note[];
  push(severity: Severity, title: string, message: string, key?: string): void;
  dismiss(id: number): void;
  clear(): void;
}

let nextId = 1;

export const useNotifications = create<NotificationState>((set) => ({
  notes: [],
  toasts: [],
  push(severity, title, message, key) {
    const note: Note = { id: nextId++, at: Date.now(), severity, title, message, key, count: 1 };
    set((s) => {
      const same = key ? s.toasts.find((t) => t.key === key) : undefined;
      const toast = same ? { ...note, count: same.count + 1 } : note;
      const others = s.toasts.filter((t) => t !== same);
      return { notes: [note, ...s.notes].slice(0, KEEP), toasts: [toast, ...others].slice(0, TOASTS_SHOWN) };
    });
    setTimeout(() => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== note.id) })), TOAST_MS);
  },
  dismiss(id) {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },
  clear() {
    set({ notes: [], toasts: [] });
  },
}));

export const notify = (severity: Severity, title: string, message: string, key?: string) =>
  useNotifications.getState().push(severity, title, message, key);
