// Apollo Client 4's normalized cache over two ordinary screens: a Customer 360, then a
// customer list selecting fewer of the same objects' fields. The 360 must still read from
// the cache afterwards, whole: objects without ids would be replaced by the list's smaller
// copies, and the cached 360 would read as missing, silently.
//
// node apollo_cache.mjs CONFIG.json — CONFIG: {url, token}. Prints one JSON object.
import { readFileSync } from "node:fs";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));

const client = new ApolloClient({
  link: new HttpLink({ uri: config.url, headers: { Authorization: `Bearer ${config.token}` } }),
  cache: new InMemoryCache(), // the defaults: no type policies of ours
});

// Each object's `id` is selected, as Apollo asks (graphql-eslint's require-id-when-available
// rule checks it): an object is normalized only when its id is in the answer.
const LIST = gql`
  query CustomerList {
    customers(first: 50) {
      edges { node {
        id name
        metrics { id lifetimeRevenue }
        forecast { id expectedRevenue90d }
        campaigns { id name performance { id attributedRevenue } }
      } }
    }
  }
`;
const CUSTOMER_360 = gql`
  query Customer360($id: ID!) {
    customer(id: $id) {
      id name tier
      metrics { id lifetimeRevenue orderCount rfmSegment computedAt }
      forecast { id expectedRevenue90d low high computedAt }
      campaigns { id name performance { id targeted responded attributedRevenue } }
    }
  }
`;
// The same two screens as a client wrote them before the figures had ids.
const LIST_WITHOUT_IDS = gql`
  query CustomerListWithoutIds {
    customers(first: 50) { edges { node { id name metrics { lifetimeRevenue } } } }
  }
`;
const CUSTOMER_360_WITHOUT_IDS = gql`
  query Customer360WithoutIds($id: ID!) {
    customer(id: $id) { id name metrics { lifetimeRevenue orderCount rfmSegment } }
  }
`;
const PURCHASE_ORDER = gql`
  query PurchaseOrderLines {
    purchaseOrders(first: 1) {
      edges { node { id number lines { id quantity stockItem { id sku } } } }
    }
  }
`;
const PURCHASE_ORDER_COSTS = gql`
  query PurchaseOrderCosts($id: ID!) {
    node(id: $id) { id ... on PurchaseOrder { lines { id unitCost quantityReceived } } }
  }
`;
const STOCK = gql`
  query StockLevels {
    stockItems(first: 5) { edges { node { id sku stockLevels { id onHand reserved available } } } }
  }
`;
const STOCK_BRIEF = gql`
  query StockBrief {
    stockItems(first: 5) { edges { node { id stockLevels { id available } } } }
  }
`;

const network = { fetchPolicy: "network-only" };
const seen = {};

// The customer to open: one the workers computed figures for, in a campaign.
const first = await client.query({ query: LIST, ...network });
const customer = first.data.customers.edges
  .map((edge) => edge.node)
  .find((node) => node.metrics && node.forecast && node.campaigns.some((c) => c.performance));
seen.customer = customer && customer.id;

await client.query({ query: CUSTOMER_360, variables: { id: customer.id }, ...network });
await client.query({ query: LIST, ...network });
seen.customer360 = client.readQuery({ query: CUSTOMER_360, variables: { id: customer.id } });

// The control: without ids, the list's smaller copy replaces the 360's.
const variables = { id: customer.id };
await client.query({ query: CUSTOMER_360_WITHOUT_IDS, variables, ...network });
await client.query({ query: LIST_WITHOUT_IDS, ...network });
seen.withoutIds = client.readQuery({ query: CUSTOMER_360_WITHOUT_IDS, variables });

const orders = await client.query({ query: PURCHASE_ORDER, ...network });
const order = orders.data.purchaseOrders.edges[0].node;
await client.query({ query: PURCHASE_ORDER_COSTS, variables: { id: order.id }, ...network });
seen.purchaseOrder = client.readQuery({ query: PURCHASE_ORDER });

await client.query({ query: STOCK, ...network });
await client.query({ query: STOCK_BRIEF, ...network });
seen.stock = client.readQuery({ query: STOCK });

seen.cacheKeys = Object.keys(client.cache.extract()).map((key) => key.split(":")[0]);
process.stdout.write(JSON.stringify(seen) + "\n");
