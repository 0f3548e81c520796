import { PROMPT_FLOW_RETIREMENT_DATE, PROMPT_FLOW_UPDATES_ENDED_DATE } from "../domain/promptFlowRuntime";

/**
 * The page's fixed markup: the list view and the deployment view, every control labelled, the
 * regions that change announced politely (aria-live) and the views' headings focusable for moving
 * between them. The script fills it from the JSON routes; nothing here comes from data.
 */
const OUTCOME_OPTIONS = ["Running", "Succeeded", "Failed", "Cancelled", "Terminated"].map((o) => `<option value="${o}">${o}</option>`).join("");

export const STATUS_PAGE_BODY = `
<header class="top">
  <p class="brand"><a href="#/">flowdeploy</a></p>
  <p class="tagline">Deployments of prompt flows to Azure Machine Learning online endpoints</p>
  <nav aria-label="Views"><a href="#/">Deployments</a> <a href="#/backlog" id="nav-backlog">Migration backlog</a></nav>
</header>
<main>
  <noscript><p>This page needs JavaScript. The same data is at <code>GET /api/deployments</code>.</p></noscript>
  <section id="list-view" aria-labelledby="list-title" hidden>
    <h1 id="list-title" tabindex="-1">Deployments</h1>
    <form id="filters" role="search" aria-label="Filter deployments">
      <div class="field">
        <label for="filter-outcome">Outcome</label>
        <select id="filter-outcome" name="outcome"><option value="">Any</option>${OUTCOME_OPTIONS}</select>
      </div>
      <div class="field">
        <label for="filter-endpoint">Endpoint</label>
        <input id="filter-endpoint" name="endpoint" type="text" autocomplete="off" spellcheck="false" maxlength="32">
      </div>
      <div class="field">
        <label for="filter-workspace">Workspace</label>
        <input id="filter-workspace" name="workspace" type="text" autocomplete="off" spellcheck="false" maxlength="33">
      </div>
      <div class="buttons">
        <button type="submit">Filter</button>
        <button type="button" id="filters-clear" class="secondary">Clear</button>
      </div>
    </form>
    <p id="list-summary" role="status" aria-live="polite"></p>
    <p id="list-problem" class="problem" role="alert" hidden></p>
    <div class="scroll">
      <table id="list-table">
        <caption class="visually-hidden">Deployments, newest first</caption>
        <thead><tr><th scope="col">Created</th><th scope="col">Outcome</th><th scope="col">Stage</th><th scope="col">Endpoint/deployment</th><th scope="col">Workspace</th><th scope="col">Request id</th></tr></thead>
        <tbody id="list-body"></tbody>
      </table>
    </div>
    <button type="button" id="list-more" class="secondary" hidden>Show older deployments</button>
  </section>

  <section id="backlog-view" aria-labelledby="backlog-title" hidden>
    <h1 id="backlog-title" tabindex="-1">Migration backlog</h1>
    <p>Deployments of the app's workspaces that still run the prompt flow runtime, most live traffic first, read from Azure now.
      Prompt flow's runtime images get no updates, security fixes included, since ${PROMPT_FLOW_UPDATES_ENDED_DATE}; on <strong>${PROMPT_FLOW_RETIREMENT_DATE}</strong> prompt flow is retired (read-only).
      Source: Microsoft Learn, <cite>Migrate Prompt Flow to Agent Framework</cite>.</p>
    <p id="backlog-summary" role="status" aria-live="polite"></p>
    <p id="backlog-problem" class="problem" role="alert" hidden></p>
    <div class="scroll">
      <table id="backlog-table">
        <caption>Prompt flow deployments to migrate, most live traffic first</caption>
        <thead><tr><th scope="col">Workspace</th><th scope="col">Endpoint/deployment</th><th scope="col">Traffic</th><th scope="col">Instances</th><th scope="col">Image</th><th scope="col">Why prompt flow</th><th scope="col">Support ends</th><th scope="col">Days left</th></tr></thead>
        <tbody id="backlog-body"></tbody>
      </table>
    </div>
    <section id="backlog-errors-wrap" aria-labelledby="backlog-errors-title" hidden>
      <h2 id="backlog-errors-title">Not read</h2>
      <ul id="backlog-errors"></ul>
    </section>
    <button type="button" id="backlog-reload" class="secondary">Read again</button>
  </section>

  <section id="deployment-view" aria-labelledby="d-title" data-live="off" hidden>
    <p class="back"><a href="#/">All deployments</a></p>
    <div class="title-row"><h1 id="d-title" tabindex="-1"></h1><span id="d-outcome"></span></div>
    <p id="d-live" role="status" aria-live="polite"></p>

    <section id="d-error" class="error" aria-labelledby="d-error-title" hidden>
      <h2 id="d-error-title"></h2>
      <div id="d-error-detail"></div>
    </section>

    <section id="d-actions" class="actions" aria-labelledby="d-actions-title" hidden>
      <h2 id="d-actions-title">Actions</h2>
      <div class="field wide">
        <label for="act-reason">Reason <span class="hint">(required to reject; at most 500 characters)</span></label>
        <input id="act-reason" type="text" maxlength="500" autocomplete="off">
      </div>
      <div class="buttons">
        <button type="button" id="act-approve" hidden>Approve</button>
        <button type="button" id="act-reject" class="danger" hidden>Reject</button>
        <button type="button" id="act-cancel" class="danger" hidden>Cancel deployment</button>
      </div>
      <p id="act-result" role="status" aria-live="polite"></p>
    </section>

    <dl id="d-summary" class="summary"></dl>

    <section aria-labelledby="d-timeline-title">
      <h2 id="d-timeline-title">Timeline</h2>
      <div id="d-timeline" class="timeline-holder"></div>
      <div id="d-stages-wrap" class="scroll" hidden>
        <table id="d-stages">
          <caption>Stages, in the order they started (times UTC)</caption>
          <thead><tr><th scope="col">Stage</th><th scope="col">Note</th><th scope="col">Outcome</th><th scope="col">Started</th><th scope="col">Ended</th><th scope="col">Took</th></tr></thead>
          <tbody id="d-stages-body"></tbody>
        </table>
      </div>
    </section>

    <section id="d-rollout" aria-labelledby="d-rollout-title" hidden>
      <h2 id="d-rollout-title">Rollout</h2>
      <dl id="d-rollout-list" class="summary"></dl>
    </section>

    <section id="d-traffic" aria-labelledby="d-traffic-title" hidden>
      <h2 id="d-traffic-title">Traffic</h2>
      <p id="d-traffic-note"></p>
      <table id="d-traffic-table">
        <caption class="visually-hidden">Traffic split of the endpoint</caption>
        <thead><tr><th scope="col">When</th><th scope="col">Deployment</th><th scope="col">Share</th></tr></thead>
        <tbody id="d-traffic-body"></tbody>
      </table>
    </section>

    <section id="d-warnings" aria-labelledby="d-warnings-title" hidden>
      <h2 id="d-warnings-title">Warnings</h2>
      <ul id="d-warnings-list"></ul>
    </section>
  </section>
</main>
`;
