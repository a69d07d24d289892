//! Orders: each order's latest state and its fills. The journal writes them in its batches
//! (an order's last state in a batch is the one kept); reads serve the order blotter, one order
//! with its fills, and recovery (the resting orders in time priority).

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::rfqs::{Cursor, PageRequest};
use crate::{Store, StoreError};

/// One order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// The engine's order id.
    pub order_id: i64,
    /// Tenant.
    pub tenant: String,
    /// Owner.
    pub user: String,
    /// Instrument id.
    pub instrument: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// `LIMIT` or `MARKET`.
    pub order_type: String,
    /// `GTC`, `IOC`, `FOK`.
    pub time_in_force: String,
    /// Limit price (decimal), none for MARKET.
    pub limit_price: Option<String>,
    /// Quantity asked (decimal).
    pub qty: String,
    /// Filled so far (decimal).
    pub filled_qty: String,
    /// Still working (decimal).
    pub remaining_qty: String,
    /// Average fill price (decimal), none before the first fill.
    pub avg_price: Option<String>,
    /// `ACK`, `PARTIAL_FILL`, `FILLED`, `CANCELLED`.
    pub status: String,
    /// Why the rest was cancelled (`REQUESTED`, `UNFILLED`, …).
    pub cancel_reason: Option<String>,
    /// Limit price in price units (0 for MARKET).
    pub price_units: i64,
    /// Quantity the order was placed (or last re-prioritised) for, size units.
    pub original_units: i64,
    /// Still working, size units.
    pub remaining_units: i64,
    /// Filled, size units.
    pub filled_units: i64,
    /// Time priority while resting (lower is ahead).
    pub priority: i64,
    /// Resting in the book now.
    pub resting: bool,
    /// The placing request's correlation id.
    pub correlation_id: String,
    /// Placed, ns since the epoch.
    pub created_at: i64,
    /// Last change, ns since the epoch.
    pub updated_at: i64,
}

/// One fill of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillRecord {
    /// The order.
    pub order_id: i64,
    /// The trade it was part of.
    pub trade_id: i64,
    /// The order's tenant.
    pub tenant: String,
    /// Price (decimal).
    pub price: String,
    /// Quantity (decimal).
    pub qty: String,
    /// `MAKER` (it was resting) or `TAKER`.
    pub liquidity: &'static str,
    /// ns since the epoch.
    pub executed_at: i64,
}

const ORDER_COLUMNS: &str = "order_id, tenant_id, user_id, instrument_id, side, order_type, time_in_force, \
     limit_price, qty, filled_qty, remaining_qty, avg_price, status, cancel_reason, price_units, original_units, \
     remaining_units, filled_units, priority, resting, correlation_id, created_at, updated_at";

fn order(r: &AnyRow) -> OrderRecord {
    OrderRecord {
        order_id: r.get(0),
        tenant: r.get(1),
        user: r.get(2),
        instrument: r.get(3),
        side: r.get(4),
        order_type: r.get(5),
        time_in_force: r.get(6),
        limit_price: r.get(7),
        qty: r.get(8),
        filled_qty: r.get(9),
        remaining_qty: r.get(10),
        avg_price: r.get(11),
        status: r.get(12),
        cancel_reason: r.get(13),
        price_units: r.get(14),
        original_units: r.get(15),
        remaining_units: r.get(16),
        filled_units: r.get(17),
        priority: r.get(18),
        resting: r.get::<i64, _>(19) != 0,
        correlation_id: r.get(20),
        created_at: r.get(21),
        updated_at: r.get(22),
    }
}

/// Which orders a page holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Status; empty = any. `WORKING` = `ACK` or `PARTIAL_FILL`; `DONE` = the others.
    pub status: String,
    /// Instrument id; empty = any.
    pub instrument: String,
}

impl Store {
    /// One order of `tenant`.
    pub async fn order(
        &self,
        tenant: &str,
        order_id: i64,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let sql =
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = $1 AND tenant_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(order_id)
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(order))
    }

    /// `tenant`'s orders, newest first, one page.
    pub async fn orders(
        &self,
        tenant: &str,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        let mut sql =
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = $1 AND order_id < $2");
        let mut binds: Vec<&str> = Vec::new();
        match filter.status.as_str() {
            "" => {}
            "WORKING" => sql.push_str(" AND status IN ('ACK', 'PARTIAL_FILL')"),
            "DONE" => sql.push_str(" AND status IN ('FILLED', 'CANCELLED')"),
            status => {
                binds.push(status);
                sql.push_str(&format!(" AND status = ${}", 2 + binds.len()));
            }
        }
        if !filter.instrument.is_empty() {
            binds.push(&filter.instrument);
            sql.push_str(&format!(" AND instrument_id = ${}", 2 + binds.len()));
        }
        sql.push_str(&format!(
            " ORDER BY order_id DESC LIMIT ${}",
            3 + binds.len()
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant)
            .bind(page.after.as_ref().map_or(i64::MAX, |c| c.id));
        for value in binds {
            q = q.bind(value);
        }
        let rows = q.bind(page.limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(order).collect())
    }

    /// One order's fills, oldest first.
    pub async fn fills(&self, order_id: i64) -> Result<Vec<FillRecord>, StoreError> {
        type Row = (i64, i64, String, String, String, String, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT order_id, trade_id, tenant_id, price, qty, liquidity, executed_at FROM order_fills \
             WHERE order_id = $1 ORDER BY trade_id",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(order_id, trade_id, tenant, price, qty, liquidity, executed_at)| FillRecord {
                    order_id,
                    trade_id,
                    tenant,
                    price,
                    qty,
                    liquidity: if liquidity == "MAKER" {
                        "MAKER"
                    } else {
                        "TAKER"
                    },
                    executed_at,
                },
            )
            .collect())
    }

    /// Every resting order, in time priority (recovery puts them back in this order).
    pub async fn resting_orders(&self) -> Result<Vec<OrderRecord>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE resting = 1 ORDER BY priority");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(order).collect())
    }

    /// The largest order id and resting priority issued so far (0 when none).
    pub async fn order_high_water(&self) -> Result<(i64, i64), StoreError> {
        let row: (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT MAX(order_id), MAX(priority) FROM orders")
                .fetch_one(&self.pool)
                .await?;
        Ok((row.0.unwrap_or(0), row.1.unwrap_or(0)))
    }
}

/// The page cursor after `record`.
pub fn order_cursor(record: &OrderRecord) -> Cursor {
    Cursor {
        key: String::new(),
        id: record.order_id,
    }
}

/// Writes the orders (each one's latest state: insert or replace) and the fills of a batch.
pub(crate) async fn write_orders(
    tx: &mut Transaction<'static, Any>,
    orders: &[&OrderRecord],
    fills: &[FillRecord],
    rows: impl Fn(usize) -> usize,
) -> Result<(), StoreError> {
    const COLUMNS: usize = 23;
    let update = " ON CONFLICT (order_id) DO UPDATE SET filled_qty = excluded.filled_qty, \
        remaining_qty = excluded.remaining_qty, avg_price = excluded.avg_price, status = excluded.status, \
        qty = excluded.qty, cancel_reason = excluded.cancel_reason, price_units = excluded.price_units, limit_price = excluded.limit_price, \
        original_units = excluded.original_units, remaining_units = excluded.remaining_units, \
        filled_units = excluded.filled_units, priority = excluded.priority, resting = excluded.resting, \
        updated_at = excluded.updated_at";
    for chunk in orders.chunks(rows(COLUMNS)) {
        let sql = crate::batch::values_sql(
            &format!("orders ({ORDER_COLUMNS})"),
            COLUMNS,
            chunk.len(),
            update,
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for o in chunk {
            q = q
                .bind(o.order_id)
                .bind(o.tenant.as_str())
                .bind(o.user.as_str())
                .bind(o.instrument.as_str())
                .bind(o.side.as_str())
                .bind(o.order_type.as_str())
                .bind(o.time_in_force.as_str())
                .bind(o.limit_price.as_deref())
                .bind(o.qty.as_str())
                .bind(o.filled_qty.as_str())
                .bind(o.remaining_qty.as_str())
                .bind(o.avg_price.as_deref())
                .bind(o.status.as_str())
                .bind(o.cancel_reason.as_deref())
                .bind(o.price_units)
                .bind(o.original_units)
                .bind(o.remaining_units)
                .bind(o.filled_units)
                .bind(o.priority)
                .bind(i64::from(o.resting))
                .bind(o.correlation_id.as_str())
                .bind(o.created_at)
                .bind(o.updated_at);
        }
        q.execute(&mut **tx).await?;
    }
    for chunk in fills.chunks(rows(7)) {
        let sql = crate::batch::values_sql(
            "order_fills (order_id, trade_id, tenant_id, price, qty, liquidity, executed_at)",
            7,
            chunk.len(),
            "",
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for f in chunk {
            q = q
                .bind(f.order_id)
                .bind(f.trade_id)
                .bind(f.tenant.as_str())
                .bind(f.price.as_str())
                .bind(f.qty.as_str())
                .bind(f.liquidity)
                .bind(f.executed_at);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
