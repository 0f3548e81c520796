import * as df from "durable-functions";
import { DEPLOY_FLOW, deployFlow } from "../../orchestrations/deployFlow";

df.app.orchestration(DEPLOY_FLOW, deployFlow);
