// The start page of a signed-in person. The calendar pages come here.

import type { FastifyInstance } from 'fastify';
import type {} from './context.js';
import { html } from './html.js';
import { sendPage } from './respond.js';

export async function homePage(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => {
    const user = request.user!.replace(/^mailto:/, '');
    const via = request.session?.via === 'proxy' ? html`<p class="muted">You were signed in by the web server in front of this site; sign out there.</p>` : '';
    return sendPage(reply, 200, {
      title: 'Calendar',
      body: html`<p>Signed in as <strong class="address">${user}</strong>.</p>${via}`,
    });
  });
}

