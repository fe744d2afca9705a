import { createContext, useContext, type ReactNode } from 'react';
import { roleAllows, type Role } from './session';

export interface ViewerInfo {
  name: string;
  team: string;
  role: Role;
}

const ViewerContext = createContext<ViewerInfo | null>(null);
export const ViewerProvider = ViewerContext.Provider;

export function useViewer(): ViewerInfo {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside a signed-in console');
  return viewer;
}

/** Renders its children only for a role that the API would allow `role`'s operations. */
export function Can({ role, children }: { role: Role; children: ReactNode }) {
  return roleAllows(useViewer().role, role) ? <>{children}</> : null;
}
