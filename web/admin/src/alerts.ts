// Security alerts. A server without the alert store answers the list with 404: no alerts.
import { ApiError, get } from './api';
import type { Alert, Page } from './api';

export interface AlertPage extends Page<Alert> {
  available: boolean;
}

export async function loadAlerts(
  query: { open?: boolean; cursor?: string; limit?: number; reveal?: boolean } = {}):
  Promise<AlertPage> {
  try {
    const page = await get<Page<Alert>>('/api/v1/alerts', {
      open: query.open ? 'true' : undefined, cursor: query.cursor, limit: query.limit,
      reveal: query.reveal ? 'true' : undefined,
    });
    return { items: page.items ?? [], next_cursor: page.next_cursor ?? null, available: true };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      return { items: [], next_cursor: null, available: false };
    }
    throw e;
  }
}

export const openAlertsLimit = 500;

// How many alerts are open, and whether there are more than one page says.
export async function countOpenAlerts(): Promise<{ count: number; more: boolean }> {
  const page = await loadAlerts({ open: true, limit: openAlertsLimit });
  return { count: page.items.length, more: Boolean(page.next_cursor) };
}

export const isOpen = (a: Alert) => !a.acknowledged_at && !a.acknowledged_by;
