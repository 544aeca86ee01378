package dcs

// QueuedReaders is how many Sessions calls wait for the scan of the node
// queued after the running one (tests).
func (c *Client) QueuedReaders(instanceID, nodeID string) int {
	return c.board.queued(nodeKey{instanceID, nodeID})
}
