import { useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { errorText } from "../api/errors";
import { graphql } from "../gql";

const DeleteMutation = graphql(`
  mutation DeleteDataSource($id: ID!, $expectedVersion: Int) {
    deleteDataSource(id: $id, expectedVersion: $expectedVersion)
  }
`);

/** Asks for the datasource's name before deleting it: a slip of the mouse deletes nothing. */
export function DeleteDialog({
  id,
  name,
  version,
  onCancel,
  onDeleted,
}: {
  id: string;
  name: string;
  version: number;
  onCancel: () => void;
  onDeleted: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const [state, remove] = useMutation(DeleteMutation);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="delete-title" onClose={onCancel}>
      <form
        method="dialog"
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await remove({ id, expectedVersion: version }, { additionalTypenames: ["DataSource"] });
          if (!result.error) onDeleted();
        }}
      >
        <h2 id="delete-title">Delete {name}?</h2>
        <p>
          Its schedule stops and it leaves the list. Its runs, files and events stay in the database. Type the name{" "}
          <strong>{name}</strong> to confirm.
        </p>
        <label>
          Name
          <input value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus autoComplete="off" />
        </label>
        {state.error && (
          <p className="error-text" role="alert">
            {errorText(state.error)}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={typed !== name || state.fetching}>
            Delete datasource
          </button>
        </div>
      </form>
    </dialog>
  );
}
