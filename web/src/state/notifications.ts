// Notifications: quote received, RFQ expired, risk refusals, connection lost/restored, market
// data stale/recovered. Newest first, bounded; the latest few show as toasts.

import { create } from "zustand";

export type Severity = "INFO" | "WARNING" | "ERROR";

export interface Note {
  id: number;
  at: number;
  severity: Severity;
  title: string;
  message: string;
}

const KEEP = 100;
const TOAST_MS = 6_000;

interface NotificationState {
  notes: Note[];
  toasts: Note[];
  push(severity: Severity, title: string, message: string): void;
  dismiss(id: number): void;
  clear(): void;
}

let nextId = 1;

export const useNotifications = create<NotificationState>((set) => ({
  notes: [],
  toasts: [],
  push(severity, title, message) {
    const note: Note = { id: nextId++, at: Date.now(), severity, title, message };
    set((s) => ({ notes: [note, ...s.notes].slice(0, KEEP), toasts: [note, ...s.toasts].slice(0, 4) }));
    setTimeout(() => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== note.id) })), TOAST_MS);
  },
  dismiss(id) {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },
  clear() {
    set({ notes: [], toasts: [] });
  },
}));

export const notify = (severity: Severity, title: string, message: string) =>
  useNotifications.getState().push(severity, title, message);
