-- The floor: the Customer 360 JSON for a set of customers from ONE hand-written statement,
-- with every field the API returns (derived statuses and amounts included).
-- $1 = array of customer ids, in the order wanted.
SELECT json_agg(c360 ORDER BY ord) FROM (
  SELECT ids.ord, json_build_object(
    'id', encode(convert_to('Customer:' || c.id, 'utf8'), 'base64'), 'code', c.code, 'name', c.name, 'tier', upper(c.tier), 'status', upper(c.status),
    'accountManager', (SELECT json_build_object('name', e.name, 'email', e.email) FROM erp.employee e WHERE e.id = c.account_manager_id),
    'openBalance', (SELECT coalesce(sum(greatest(i.total - coalesce((SELECT sum(p.amount) FROM erp.payment p WHERE p.invoice_id = i.id), 0)
                      - coalesce((SELECT sum(n.total) FROM erp.credit_note n WHERE n.invoice_id = i.id), 0), 0)), 0)
                    FROM erp.invoice i WHERE i.customer_id = c.id AND i.status <> 'void'),
    'metrics', (SELECT json_build_object('lifetimeRevenue', m.lifetime_revenue, 'orderCount', m.order_count,
                'averageOrderValue', m.average_order_value, 'lastOrderAt', m.last_order_at,
                'overdueBalance', m.overdue_balance, 'rfmSegment', upper(replace(replace(m.rfm_segment, '''', ''), ' ', '_')), 'computedAt', m.computed_at)
                FROM analytics.customer_metrics m WHERE m.customer_id = c.id),
    'forecast', (SELECT json_build_object('expectedRevenue90d', f.expected_revenue_90d, 'low', f.revenue_low,
                 'high', f.revenue_high, 'probabilityAlive', f.probability_alive,
                 'expectedOrders90d', f.expected_orders_90d, 'pipelineValue', f.pipeline_value, 'computedAt', f.computed_at)
                 FROM analytics.customer_forecast f WHERE f.customer_id = c.id),
    'orders', json_build_object(
      'totalCount', (SELECT count(*) FROM erp.sales_order o WHERE o.customer_id = c.id),
      'pageInfo', json_build_object('hasNextPage', (SELECT count(*) > 10 FROM erp.sales_order o WHERE o.customer_id = c.id), 'endCursor',
        (SELECT encode(convert_to(json_build_array('Customer.orders', 'newest', json_build_array(k.ordered_at, k.id))::text, 'utf8'), 'base64')
         FROM (SELECT o.ordered_at, o.id FROM erp.sales_order o WHERE o.customer_id = c.id ORDER BY o.ordered_at DESC, o.id DESC LIMIT 10) k
         ORDER BY k.ordered_at, k.id LIMIT 1)),
      'edges', (SELECT coalesce(json_agg(json_build_object('node', json_build_object(
          'number', o.number, 'status', upper(o.status), 'orderedAt', o.ordered_at, 'currency', o.currency, 'total', o.total,
          'deliveryStatus', (SELECT CASE
              WHEN s.shipped = 0 THEN CASE WHEN s.failed THEN 'FAILED' ELSE 'NOT_SHIPPED' END
              WHEN s.shipped < (SELECT sum(l.quantity) FROM erp.sales_order_line l WHERE l.sales_order_id = o.id) THEN 'PARTIALLY_SHIPPED'
              WHEN s.in_transit THEN 'IN_TRANSIT' ELSE 'DELIVERED' END
            FROM (SELECT coalesce(sum(dl.quantity) FILTER (WHERE d.status <> 'failed'), 0) AS shipped,
                         bool_or(d.status = 'in_transit') AS in_transit, bool_or(d.status = 'failed') AS failed
                  FROM erp.delivery d JOIN erp.delivery_line dl ON dl.delivery_id = d.id WHERE d.sales_order_id = o.id) s),
          'paymentStatus', (SELECT CASE WHEN count(*) = 0 THEN 'NOT_INVOICED' WHEN sum(x.due) <= 0 THEN 'PAID'
              WHEN bool_or(x.due > 0 AND x.due_on < current_date) THEN 'OVERDUE' WHEN sum(x.paid) > 0 THEN 'PARTIALLY_PAID' ELSE 'UNPAID' END
            FROM (SELECT i.due_on, greatest(i.total - p.paid - n.credited, 0) AS due, p.paid FROM erp.invoice i,
                  LATERAL (SELECT coalesce(sum(p.amount), 0) AS paid FROM erp.payment p WHERE p.invoice_id = i.id) p,
                  LATERAL (SELECT coalesce(sum(n.total), 0) AS credited FROM erp.credit_note n WHERE n.invoice_id = i.id) n
                  WHERE i.sales_order_id = o.id AND i.status <> 'void') x),
          'lines', (SELECT coalesce(json_agg(json_build_object('quantity', l.quantity, 'unitPrice', l.unit_price, 'lineTotal', l.line_total,
                     'stockItem', json_build_object('sku', s.sku, 'name', s.name)) ORDER BY l.line_no), '[]')
                    FROM erp.sales_order_line l JOIN erp.stock_item s ON s.id = l.stock_item_id WHERE l.sales_order_id = o.id),
          'deliveries', (SELECT coalesce(json_agg(json_build_object('status', upper(d.status), 'carrier', d.carrier,
                     'trackingNumber', d.tracking_number, 'shippedAt', d.shipped_at, 'deliveredAt', d.delivered_at)
                     ORDER BY d.shipped_at, d.id), '[]') FROM erp.delivery d WHERE d.sales_order_id = o.id),
          'invoices', (SELECT coalesce(json_agg(json_build_object('number', i.number, 'status', upper(i.status), 'total', i.total,
                     'amountDue', CASE WHEN i.status = 'void' THEN 0 ELSE greatest(i.total - coalesce((SELECT sum(p.amount) FROM erp.payment p WHERE p.invoice_id = i.id), 0)
                       - coalesce((SELECT sum(n.total) FROM erp.credit_note n WHERE n.invoice_id = i.id), 0), 0) END,
                     'dueAt', i.due_on) ORDER BY i.issued_on, i.id), '[]') FROM erp.invoice i WHERE i.sales_order_id = o.id)
        )) ORDER BY o.ordered_at DESC, o.id DESC), '[]')
        FROM (SELECT * FROM erp.sales_order o WHERE o.customer_id = c.id ORDER BY o.ordered_at DESC, o.id DESC LIMIT 10) o)
    ),
    'interactions', (SELECT json_build_object('edges', coalesce(json_agg(json_build_object('node', json_build_object('channel', upper(x.channel), 'subject', x.subject,
                     'occurredAt', x.occurred_at, 'employee', CASE WHEN e.id IS NULL THEN NULL ELSE json_build_object('name', e.name) END)) ORDER BY x.occurred_at DESC, x.id DESC), '[]'))
                     FROM (SELECT * FROM crm.interaction x WHERE x.customer_id = c.id ORDER BY x.occurred_at DESC, x.id DESC LIMIT 5) x
                     LEFT JOIN erp.employee e ON e.id = x.employee_id),
    'campaigns', (SELECT coalesce(json_agg(json_build_object('name', k.name, 'channel', upper(k.channel)) ORDER BY k.starts_on DESC, k.id), '[]')
                  FROM crm.campaign k JOIN crm.campaign_member cm ON cm.campaign_id = k.id WHERE cm.customer_id = c.id),
    'opportunities', (SELECT json_build_object('edges', coalesce(json_agg(json_build_object('node', json_build_object('name', o.name, 'stage', upper(o.stage), 'amount', o.amount,
                      'probability', o.probability, 'expectedCloseOn', o.expected_close_on)) ORDER BY o.created_at DESC, o.id DESC), '[]'))
                      FROM (SELECT * FROM crm.opportunity o WHERE o.customer_id = c.id ORDER BY o.created_at DESC, o.id DESC LIMIT 5) o),
    'tickets', (SELECT json_build_object('edges', coalesce(json_agg(json_build_object('node', json_build_object('subject', k.subject, 'category', upper(k.category),
                'priority', upper(k.priority), 'status', upper(k.status))) ORDER BY k.opened_at DESC, k.id DESC), '[]'))
                FROM (SELECT * FROM crm.ticket k WHERE k.customer_id = c.id ORDER BY k.opened_at DESC, k.id DESC LIMIT 5) k)
  ) AS c360
  FROM unnest($1::bigint[]) WITH ORDINALITY AS ids(id, ord)
  JOIN crm.customer c ON c.id = ids.id
) page
