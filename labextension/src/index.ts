/**
 * nbops-lab: the nbops panel in JupyterLab's left sidebar (see panel.ts), and a
 * command to show it. It follows the notebook in the editor to list that
 * step's past runs.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';

import { NbopsPanel } from './panel';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
  '<circle cx="6" cy="5" r="2.5"/><circle cx="18" cy="5" r="2.5"/><circle cx="12" cy="19" r="2.5"/>' +
  '<path d="M6 7.5v2.5l6 6.5M18 7.5v2.5l-6 6.5" stroke="#616161" stroke-width="1.6" fill="none"/></g></svg>';

const icon = new LabIcon({ name: 'nbops-lab:icon', svgstr: ICON_SVG });

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nbops-lab:panel',
  description: 'The nbops pipeline, its runs and its champion, beside the notebooks.',
  autoStart: true,
  requires: [ILabShell],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const panel = new NbopsPanel(app);
    panel.title.icon = icon;
    app.shell.add(panel, 'left', { rank: 250 });
    restorer?.add(panel, 'nbops-panel');
    labShell.currentChanged.connect(() => panel.followEditor());
    app.commands.addCommand('nbops:show-panel', {
      label: 'nbops: show the pipeline panel',
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: 'nbops:show-panel', category: 'nbops' });
  }
};

export default plugin;
